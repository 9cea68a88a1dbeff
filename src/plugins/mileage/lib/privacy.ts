import type { EntityManager } from '@mikro-orm/postgresql';

/*
 * Who is hidden from a guild's public leaderboard (`/mileage privacy`). Hiding changes nothing else: the member
 * keeps their points, rank, tier roles and their place on the leaderboard managers see. On the public page hidden
 * members are skipped and everyone keeps their true rank (a gap where a hidden member stands), so a rank on the
 * public page is the rank `/mileage show` tells the member, and hiding cannot move anyone else.
 */

/** Hides (true) or shows (false) a member on the public leaderboard; true when that changed anything. */
export async function setHidden(em: EntityManager, guildId: string, userId: string, hidden: boolean): Promise<boolean> {
	const result = hidden
		? await em.execute(
				'insert into mileage_privacy (guild_id, user_id) values (?, ?) on conflict (guild_id, user_id) do nothing',
				[guildId, userId],
				'run'
			)
		: await em.execute('delete from mileage_privacy where guild_id = ? and user_id = ?', [guildId, userId], 'run');
	return ((result as { affectedRows?: number }).affectedRows ?? 0) > 0;
}

/** True when the member hid themselves from the guild's public leaderboard. */
export async function isHidden(em: EntityManager, guildId: string, userId: string): Promise<boolean> {
	const rows = await em.execute<{ one: number }[]>('select 1 as one from mileage_privacy where guild_id = ? and user_id = ?', [
		guildId,
		userId
	]);
	return rows.length > 0;
}

/** Which of these members (one leaderboard page) are hidden: one primary-key lookup per page, never a scan. */
export async function hiddenAmong(em: EntityManager, guildId: string, userIds: readonly string[]): Promise<Set<string>> {
	if (userIds.length === 0) return new Set();
	const rows = await em.execute<{ user_id: string }[]>(
		`select user_id from mileage_privacy where guild_id = ? and user_id in (${userIds.map(() => '?').join(', ')})`,
		[guildId, ...userIds]
	);
	return new Set(rows.map((row) => row.user_id));
}
