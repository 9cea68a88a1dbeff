import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { runSafely, sendError, sendFieldErrors } from '../../../../../../core/api/index.ts';
import type { PublicLeaderboardAnswer } from '../../../../contract.ts';
import type { MileageSettings } from '../../../../lib/settings.ts';
import { loadMembers, memberName, pathParam } from '../../../_shared.ts';

/** Rows per public page (fixed: the page is for reading, not for scraping in bulk). */
export const PUBLIC_PAGE_SIZE = 25;

const SNOWFLAKE = /^\d{17,20}$/;

const Query = z.object({ page: z.coerce.number().int().min(1).max(100_000).default(1) });

/**
 * `GET /mileage/public/:guild/leaderboard?page`: the leaderboard anyone may read, **without a session**, where the
 * guild turned on the mileage setting `publicLeaderboard`. Ranks, names and avatars only (see
 * {@link PublicLeaderboardAnswer}); members who hid themselves (`/mileage privacy`) are skipped and everyone keeps
 * their true rank. Off (the default), mileage switched off, the bot not in the guild or a malformed id: the same
 * 404 `not_found` as a path with no route, so the answer never tells whether the guild exists. Rate limited per
 * address like every other route.
 */
export class MileagePublicLeaderboardGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileagePublicLeaderboardGet', route: 'mileage/public/[guildId]/leaderboard', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/public/[guildId]/leaderboard', response, async () => {
			const guildId = pathParam(request, 'guildId');
			const guild = SNOWFLAKE.test(guildId) ? this.container.client.guilds.cache.get(guildId) : undefined;
			const plugins = this.container.plugins;
			if (
				!guild?.available ||
				!plugins.isEnabled(guild.id, 'mileage') ||
				!plugins.settings<MileageSettings>(guild.id, 'mileage').publicLeaderboard
			) {
				return sendError(response, 'not_found');
			}
			const query = Query.safeParse(request.query);
			if (!query.success) return sendFieldErrors(response, query.error);
			const board = await this.container.mileage.publicLeaderboard(guild.id, query.data.page, PUBLIC_PAGE_SIZE);
			// Discord sends no member list with a guild: the page's members are asked for (names, avatars).
			await loadMembers(
				guild,
				board.entries.map((entry) => entry.userId)
			);
			const answer: PublicLeaderboardAnswer = {
				guild: { name: guild.name, iconUrl: guild.iconURL({ size: 96, extension: 'png' }) },
				page: board.page,
				hasNext: board.hasNext,
				entries: board.entries.map((entry) => {
					const member = guild.members.cache.get(entry.userId);
					const user = member?.user ?? this.container.client.users.cache.get(entry.userId);
					return {
						rank: entry.rank,
						name: memberName(guild, entry.userId) ?? 'Unknown member',
						avatarUrl: member?.avatarURL({ size: 64, extension: 'png' }) ?? user?.avatarURL({ size: 64, extension: 'png' }) ?? null
					};
				})
			};
			response.json(answer);
		});
	}
}
