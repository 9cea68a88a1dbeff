import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { requireGuildManager, runSafely, sendFieldErrors } from '../../../../../../core/api/index.ts';
import type { PointsAnswer } from '../../../../contract.ts';
import { guildTimeZone, lastDays, Snowflake } from '../../../_shared.ts';

const Query = z.object({
	days: z.coerce.number().int().min(1).max(366).default(30),
	user: Snowflake.optional()
});

/**
 * `GET /mileage/guilds/:guild/points?days&user`: points earned per day over the last `days` days (default 30, at
 * most 366) in the guild's time zone (config plugin), one bucket per day, zero-filled — for a chart.
 */
export class MileagePointsGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileagePointsGet', route: 'mileage/guilds/[guild]/points', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/points', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const query = Query.safeParse(request.query);
			if (!query.success) return sendFieldErrors(response, query.error);
			const { days, user } = query.data;
			const timeZone = guildTimeZone(ctx.guild.id);
			const sums = new Map(
				(await this.container.mileage.perDay(ctx.guild.id, days, timeZone, user)).map((bucket) => [bucket.day, bucket.points])
			);
			const buckets = lastDays(days, timeZone).map((day) => ({ day, points: sums.get(day) ?? 0 }));
			response.json({ timeZone, days, userId: user ?? null, buckets } satisfies PointsAnswer);
		});
	}
}
