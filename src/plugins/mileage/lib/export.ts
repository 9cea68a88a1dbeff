import type { EntityManager } from '@mikro-orm/postgresql';
import type { MileageReason } from '../entities/MileageEvent.ts';
import type { LedgerEntry } from './store.ts';

/*
 * Keyset-paginated reads of a whole guild, for the CSV export and the tier sync: each page is one indexed range
 * query that starts after the previous page's last key, so memory stays at one page whatever the guild's size,
 * and no transaction or cursor is held open while a slow client downloads.
 */

/** Rows per page of a paged read. */
export const EXPORT_PAGE_SIZE = 2_000;

/** A member's total. */
export interface TotalRow {
	userId: string;
	points: number;
}

/** A ledger entry as exported. */
export type LedgerRow = Omit<LedgerEntry, 'guildId' | 'reversedByEventId'>;

/** The guild's non-zero totals by user id, one page at a time (the primary key `(guild_id, user_id)` serves it). */
export async function* totalPages(em: EntityManager, guildId: string, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<TotalRow[]> {
	let after = '';
	for (;;) {
		const rows = await em.execute<{ user_id: string; points: string }[]>(
			'select user_id, points from mileage_total where guild_id = ? and user_id > ? and points <> 0 order by user_id limit ?',
			[guildId, after, pageSize]
		);
		if (rows.length === 0) return;
		yield rows.map((row) => ({ userId: row.user_id, points: Number(row.points) }));
		if (rows.length < pageSize) return;
		after = rows[rows.length - 1]!.user_id;
	}
}

/** The guild's ledger by member then id, one page at a time (the index `(guild_id, user_id, id)` serves it). */
export async function* ledgerPages(em: EntityManager, guildId: string, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<LedgerRow[]> {
	let afterUser = '';
	let afterId = 0;
	for (;;) {
		const rows = await em.execute<
			{
				id: string;
				user_id: string;
				delta: string;
				reason: MileageReason;
				actor_id: string | null;
				note: string | null;
				reverses_event_id: string | null;
				created_at: Date;
			}[]
		>(
			`select id, user_id, delta, reason, actor_id, note, reverses_event_id, created_at from mileage_event
			 where guild_id = ? and (user_id, id) > (?, ?) order by user_id, id limit ?`,
			[guildId, afterUser, afterId, pageSize]
		);
		if (rows.length === 0) return;
		yield rows.map((row) => ({
			id: Number(row.id),
			userId: row.user_id,
			delta: Number(row.delta),
			reason: row.reason,
			actorId: row.actor_id,
			note: row.note,
			reversesEventId: row.reverses_event_id === null ? null : Number(row.reverses_event_id),
			createdAt: new Date(row.created_at)
		}));
		if (rows.length < pageSize) return;
		const last = rows[rows.length - 1]!;
		afterUser = last.user_id;
		afterId = Number(last.id);
	}
}

/** Every non-zero total of the guild in one map (the tier sync needs them all). */
export async function allTotals(em: EntityManager, guildId: string): Promise<Map<string, number>> {
	const totals = new Map<string, number>();
	for await (const page of totalPages(em, guildId)) for (const row of page) totals.set(row.userId, row.points);
	return totals;
}
