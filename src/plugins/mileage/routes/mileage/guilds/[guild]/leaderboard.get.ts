import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { requireGuildManager, runSafely, sendFieldErrors } from '../../../../../../core/api/index.ts';
import type { LeaderboardAnswer } from '../../../../contract.ts';
import { type LeaderboardTarget, parseCursor } from '../../../../lib/store.ts';
import { loadMembers, memberAvatar, memberName } from '../../../_shared.ts';

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id');

const Query = z
	.object({
		page: z.coerce.number().int().min(1).max(1_000_000).optional(),
		after: z
			.string()
			.max(64)
			.refine((value) => parseCursor(value) !== null, 'must be a cursor from a previous page (`next`)')
			.optional(),
		rank: z.coerce.number().int().min(1).max(1_000_000_000).optional(),
		user: snowflake.optional(),
		pageSize: z.coerce.number().int().min(1).max(100).default(25)
	})
	.refine((query) => [query.page, query.after, query.rank, query.user].filter((value) => value !== undefined).length <= 1, {
		message: 'give at most one of page, after, rank and user',
		path: ['page']
	});

/**
 * `GET /mileage/guilds/:guild/leaderboard?page|after|rank|user&pageSize`: members by points, best first, with
 * rank, name and avatar. `after` is the `next` cursor of a previous page (keyset: any depth costs the same), `rank`
 * jumps to the page holding that rank, `user` to the page holding that member (find my page).
 */
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
			const { page, after, rank, user, pageSize } = query.data;
			const target: LeaderboardTarget = after ? { after } : rank ? { rank } : user ? { userId: user } : (page ?? 1);
			const board = await this.container.mileage.leaderboard(ctx.guild.id, target, pageSize);
			await loadMembers(
				ctx.guild,
				board.entries.map((entry) => entry.userId)
			);
			const entries = board.entries.map((entry) => ({
				...entry,
				name: memberName(ctx.guild, entry.userId),
				avatar: memberAvatar(ctx.guild, entry.userId)
			}));
			response.json({ ...board, entries } satisfies LeaderboardAnswer);
		});
	}
}
