import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { requireGuildManager, runSafely, sendFieldErrors } from '../../../../../../../core/api/index.ts';
import type { MemberAnswer } from '../../../../../contract.ts';
import { isSnowflake } from '../../../../../lib/csv.ts';
import { badParameter, entryView, loadMembers, memberName, pathParam } from '../../../../_shared.ts';

const Query = z.object({
	limit: z.coerce.number().int().min(1).max(100).default(20),
	before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional()
});

/**
 * `GET /mileage/guilds/:guild/members/:user?limit&before`: a member's points (stored plus not yet flushed), rank and
 * one page of their ledger, newest first; `nextBefore` is the cursor of the next page (`null` on the last).
 */
export class MileageMemberGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageMemberGet', route: 'mileage/guilds/[guild]/members/[user]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/members/[user]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const userId = pathParam(request, 'user');
			if (!isSnowflake(userId)) return badParameter(response, 'user', 'must be a Discord id (17 to 20 digits)');
			const query = Query.safeParse(request.query);
			if (!query.success) return sendFieldErrors(response, query.error);
			const { limit, before } = query.data;
			const [standing, history] = await Promise.all([
				this.container.mileage.standing(ctx.guild.id, userId),
				this.container.mileage.history(ctx.guild.id, userId, limit + 1, before)
			]);
			const page = history.slice(0, limit);
			await loadMembers(ctx.guild, [userId]);
			response.json({
				userId,
				name: memberName(ctx.guild, userId),
				points: standing.points,
				pending: standing.pending,
				rank: standing.rank,
				history: page.map(entryView),
				nextBefore: history.length > limit ? String(page[page.length - 1]!.id) : null
			} satisfies MemberAnswer);
		});
	}
}
