import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { requireGuildManager, runSafely, sendFieldErrors } from '../../../../../../core/api/index.ts';
import type { LeaderboardAnswer } from '../../../../contract.ts';
import { memberAvatar, memberName } from '../../../_shared.ts';

const Query = z.object({
	page: z.coerce.number().int().min(1).max(1_000_000).default(1),
	pageSize: z.coerce.number().int().min(1).max(100).default(25)
});

/** `GET /mileage/guilds/:guild/leaderboard?page&pageSize`: members by points, best first, with rank, name and avatar. */
export class MileageLeaderboardGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageLeaderboardGet', route: 'mileage/guilds/[guild]/leaderboard', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/leaderboard', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const query = Query.safeParse(request.query);
			if (!query.success) return sendFieldErrors(response, query.error);
			const board = await this.container.mileage.leaderboard(ctx.guild.id, query.data.page, query.data.pageSize);
			const entries = board.entries.map((entry) => ({
				...entry,
				name: memberName(ctx.guild, entry.userId),
				avatar: memberAvatar(ctx.guild, entry.userId)
			}));
			response.json({ ...board, entries } satisfies LeaderboardAnswer);
		});
	}
}
