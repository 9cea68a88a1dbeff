import type { EntityManager } from '@mikro-orm/postgresql';
import type { MileageReason } from '../entities/MileageEvent.ts';
import type { Batch } from './buffer.ts';
import { MileageError, MileageIdentifiers } from './errors.ts';
import { loadRankTable, type RankTable } from './ranks.ts';

// Rows per multi-row statement: 5 parameters a row stays far below Postgres' 65,535 parameter limit.
const CHUNK = 1_000;

/** A member's total after a write, with what it was before (for tier crossings). */
export interface TotalChange {
	guildId: string;
	userId: string;
	before: number;
	after: number;
}

/** A ledger entry as the commands and routes show it. */
export interface LedgerEntry {
	id: number;
	guildId: string;
	userId: string;
	delta: number;
	reason: MileageReason;
	actorId: string | null;
	note: string | null;
	reversesEventId: number | null;
	reversedByEventId: number | null;
	createdAt: Date;
}

const chunks = <T>(items: T[], size = CHUNK): T[][] => {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
};

// em.execute hands timestamptz columns back as strings (the ORM's type parsers are not applied to raw rows).
const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

const placeholders = (rows: number, columns: number) =>
	Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

/** Adds deltas to totals in one statement per chunk; returns each member's total before and after. */
async function addToTotals(
	em: EntityManager,
	guildDeltas: Map<string, { guildId: string; userId: string; delta: number }>
): Promise<TotalChange[]> {
	const changes: TotalChange[] = [];
	for (const part of chunks([...guildDeltas.values()])) {
		const rows = await em.execute<{ guild_id: string; user_id: string; points: string }[]>(
			`insert into mileage_total (guild_id, user_id, points) values ${placeholders(part.length, 3)}
			 on conflict (guild_id, user_id) do update set points = mileage_total.points + excluded.points, updated_at = now()
			 returning guild_id, user_id, points`,
			part.flatMap((row) => [row.guildId, row.userId, row.delta])
		);
		for (const row of rows) {
			const delta = guildDeltas.get(`${row.guild_id}:${row.user_id}`)?.delta ?? 0;
			changes.push({ guildId: row.guild_id, userId: row.user_id, before: Number(row.points) - delta, after: Number(row.points) });
		}
	}
	return changes;
}

/**
 * Applies a batch in one transaction: marks it applied (a batch already applied is skipped, which makes a
 * retry after an unclear failure safe), writes its ledger rows, adds to totals and stores voice checkpoints.
 */
export async function applyBatch(em: EntityManager, batch: Batch): Promise<{ applied: boolean; changes: TotalChange[] }> {
	return em.transactional(async (tx) => {
		const marked = await tx.execute<{ batch_id: string }[]>(
			'insert into mileage_flush (batch_id, rows) values (?, ?) on conflict (batch_id) do nothing returning batch_id',
			[batch.id, batch.rows.length]
		);
		if (marked.length === 0) return { applied: false, changes: [] };
		for (const part of chunks(batch.rows)) {
			await tx.execute(
				`insert into mileage_event (guild_id, user_id, delta, reason, batch_id) values ${placeholders(part.length, 5)}`,
				part.flatMap((row) => [row.guildId, row.userId, row.delta, row.reason, batch.id]),
				'run'
			);
		}
		const perMember = new Map<string, { guildId: string; userId: string; delta: number }>();
		for (const row of batch.rows) {
			const key = `${row.guildId}:${row.userId}`;
			const entry = perMember.get(key) ?? { guildId: row.guildId, userId: row.userId, delta: 0 };
			entry.delta += row.delta;
			perMember.set(key, entry);
		}
		const changes = await addToTotals(tx, perMember);
		const present = batch.voice.filter((voice) => voice.channelId !== null);
		const left = batch.voice.filter((voice) => voice.channelId === null);
		for (const part of chunks(present)) {
			await tx.execute(
				`insert into mileage_voice_session (guild_id, user_id, channel_id, credited_until, remainder_ms) values ${placeholders(part.length, 5)}
				 on conflict (guild_id, user_id) do update set channel_id = excluded.channel_id, credited_until = excluded.credited_until, remainder_ms = excluded.remainder_ms`,
				part.flatMap((v) => [v.guildId, v.userId, v.channelId, v.creditedUntil, v.remainderMs]),
				'run'
			);
		}
		for (const voice of left) {
			await tx.execute('delete from mileage_voice_session where guild_id = ? and user_id = ?', [voice.guildId, voice.userId], 'run');
		}
		return { applied: true, changes };
	});
}

/** Writes one ledger entry and its total in one transaction (admin adjustments, imports of one row). */
export async function writeEntry(
	em: EntityManager,
	entry: Omit<LedgerEntry, 'id' | 'createdAt' | 'reversesEventId' | 'reversedByEventId'> & { reversesEventId?: number | null }
): Promise<{ entry: LedgerEntry; change: TotalChange }> {
	return em.transactional(async (tx) => {
		const [row] = await tx.execute<{ id: string; created_at: Date }[]>(
			`insert into mileage_event (guild_id, user_id, delta, reason, actor_id, note, reverses_event_id) values (?, ?, ?, ?, ?, ?, ?) returning id, created_at`,
			[entry.guildId, entry.userId, entry.delta, entry.reason, entry.actorId, entry.note, entry.reversesEventId ?? null]
		);
		const [change] = await addToTotals(
			tx,
			new Map([[`${entry.guildId}:${entry.userId}`, { guildId: entry.guildId, userId: entry.userId, delta: entry.delta }]])
		);
		return {
			entry: {
				...entry,
				id: Number(row!.id),
				createdAt: toDate(row!.created_at),
				reversesEventId: entry.reversesEventId ?? null,
				reversedByEventId: null
			},
			change: change!
		};
	});
}

/** Reverses an event of this guild once. Unknown (or another guild's) → UnknownEvent; twice → AlreadyReversed. */
export async function reverseEntry(
	em: EntityManager,
	guildId: string,
	eventId: number,
	actorId: string,
	note: string | null
): Promise<{ entry: LedgerEntry; change: TotalChange }> {
	return em.transactional(async (tx) => {
		const [event] = await tx.execute<
			{ id: string; user_id: string; delta: string; reason: MileageReason; reverses_event_id: string | null }[]
		>('select id, user_id, delta, reason, reverses_event_id from mileage_event where id = ? and guild_id = ? for update', [
			eventId,
			guildId
		]);
		if (!event)
			throw new MileageError(MileageIdentifiers.UnknownEvent, `There is no mileage event #${eventId} in this server.`, { eventId });
		if (event.reason === 'reversal') {
			throw new MileageError(MileageIdentifiers.ReversalOfReversal, `Event #${eventId} is itself a reversal and cannot be reversed.`, {
				eventId
			});
		}
		const [existing] = await tx.execute<{ id: string }[]>('select id from mileage_event where reverses_event_id = ?', [eventId]);
		if (existing) {
			throw new MileageError(MileageIdentifiers.AlreadyReversed, `Event #${eventId} was already reversed by #${existing.id}.`, {
				eventId,
				by: Number(existing.id)
			});
		}
		const [row] = await tx.execute<{ id: string; created_at: Date }[]>(
			`insert into mileage_event (guild_id, user_id, delta, reason, actor_id, note, reverses_event_id) values (?, ?, ?, 'reversal', ?, ?, ?) returning id, created_at`,
			[guildId, event.user_id, -Number(event.delta), actorId, note, eventId]
		);
		const [change] = await addToTotals(
			tx,
			new Map([[`${guildId}:${event.user_id}`, { guildId, userId: event.user_id, delta: -Number(event.delta) }]])
		);
		return {
			entry: {
				id: Number(row!.id),
				guildId,
				userId: event.user_id,
				delta: -Number(event.delta),
				reason: 'reversal',
				actorId,
				note,
				reversesEventId: eventId,
				reversedByEventId: null,
				createdAt: toDate(row!.created_at)
			},
			change: change!
		};
	});
}

/** Imports rows as `import` events, one transaction per chunk; reports progress after each chunk. */
export async function importEntries(
	em: EntityManager,
	guildId: string,
	rows: { userId: string; points: number; note: string | null }[],
	actorId: string,
	onProgress?: (done: number, total: number) => void | Promise<void>
): Promise<{ imported: number; changes: TotalChange[] }> {
	const changes: TotalChange[] = [];
	let done = 0;
	for (const part of chunks(rows, 500)) {
		const partChanges = await em.transactional(async (tx) => {
			await tx.execute(
				`insert into mileage_event (guild_id, user_id, delta, reason, actor_id, note) values ${placeholders(part.length, 6)}`,
				part.flatMap((row) => [guildId, row.userId, row.points, 'import', actorId, row.note]),
				'run'
			);
			const perMember = new Map<string, { guildId: string; userId: string; delta: number }>();
			for (const row of part) {
				const entry = perMember.get(`${guildId}:${row.userId}`) ?? { guildId, userId: row.userId, delta: 0 };
				entry.delta += row.points;
				perMember.set(`${guildId}:${row.userId}`, entry);
			}
			return addToTotals(tx, perMember);
		});
		changes.push(...partChanges);
		done += part.length;
		await onProgress?.(done, rows.length);
	}
	return { imported: done, changes };
}

/**
 * Recomputes a guild's totals from its ledger, in chunks of members (for progress), each chunk in one
 * transaction. Totals of members without ledger rows are removed. Returns how many totals changed.
 */
export async function rebuildTotals(
	em: EntityManager,
	guildId: string,
	onProgress?: (done: number, total: number) => void | Promise<void>
): Promise<{ members: number; changed: number }> {
	const users = (
		await em.execute<{ user_id: string }[]>(
			'select user_id from mileage_event where guild_id = ? union select user_id from mileage_total where guild_id = ? order by user_id',
			[guildId, guildId]
		)
	).map((row) => row.user_id);
	let changed = 0;
	let done = 0;
	for (const part of chunks(users, 2_000)) {
		changed += await em.transactional(async (tx) => {
			// Without this, a flush committing while the sum is read would be overwritten by a sum that misses it:
			// writers that already touched totals are waited for (their events are then seen), later ones wait for us.
			await tx.execute('lock table mileage_total in share row exclusive mode', [], 'run');
			const first = part[0]!;
			const last = part[part.length - 1]!;
			const upserted = await tx.execute<{ user_id: string }[]>(
				`insert into mileage_total (guild_id, user_id, points)
				 select guild_id, user_id, sum(delta) from mileage_event where guild_id = ? and user_id between ? and ? group by guild_id, user_id
				 on conflict (guild_id, user_id) do update set points = excluded.points, updated_at = now() where mileage_total.points <> excluded.points
				 returning user_id`,
				[guildId, first, last]
			);
			const removed = await tx.execute<{ user_id: string }[]>(
				`delete from mileage_total t where t.guild_id = ? and t.user_id between ? and ?
				 and not exists (select 1 from mileage_event e where e.guild_id = t.guild_id and e.user_id = t.user_id) returning user_id`,
				[guildId, first, last]
			);
			return upserted.length + removed.length;
		});
		done += part.length;
		await onProgress?.(done, users.length);
	}
	return { members: users.length, changed };
}

/** A member's stored total and rank (1 = most points; equal points share a rank; members at 0 are not ranked). */
export async function memberStanding(
	em: EntityManager,
	guildId: string,
	userId: string,
	table?: RankTable
): Promise<{ points: number; rank: number | null }> {
	const [row] = await em.execute<{ points: string }[]>('select points from mileage_total where guild_id = ? and user_id = ?', [
		guildId,
		userId
	]);
	// Ranked like the leaderboard: among members with non-zero points; a member at 0 is not ranked.
	if (!row || Number(row.points) === 0) return { points: 0, rank: null };
	const ranks = table ?? (await loadRankTable(em, guildId));
	return { points: Number(row.points), rank: ranks.rankOf(Number(row.points)) };
}

/** Where a leaderboard page starts: a page number, after a cursor, at a rank, or the page holding a member. */
export type LeaderboardTarget = number | { page: number } | { after: string } | { rank: number } | { userId: string };

/** A keyset cursor: the last row of a page (points, user id) and its position, as an opaque string. */
export function encodeCursor(points: number, userId: string, position: number): string {
	return `${points}_${userId}_${position}`;
}

/** Parses a cursor from {@link encodeCursor}; null when it is not one. */
export function parseCursor(cursor: string): { points: number; userId: string; position: number } | null {
	const match = /^(-?\d{1,16})_(\d{1,20})_(\d{1,9})$/.exec(cursor);
	if (!match) return null;
	const points = Number(match[1]);
	const position = Number(match[3]);
	if (!Number.isSafeInteger(points) || points === 0 || position < 1) return null;
	return { points, userId: match[2]!, position };
}

/** Thrown for a cursor that is not one this server made. */
export class InvalidCursorError extends Error {
	public constructor() {
		super('not a leaderboard cursor');
		this.name = 'InvalidCursorError';
	}
}

// Two range scans of the leaderboard index — the rest of one point value's tie group (ordered by user id), then
// every lower value — under one limit: no sort, no OFFSET walk beyond the tie group, no count.
const ROWS_FROM_VALUE = `(select user_id, points from mileage_total where guild_id = ? and points = ? and user_id > ? order by user_id limit ? offset ?)
 union all (select user_id, points from mileage_total where guild_id = ? and points < ? and points <> 0 order by points desc, user_id limit ?) limit ?`;

async function rowsFrom(em: EntityManager, guildId: string, points: number, afterUser: string, offset: number, limit: number) {
	return em.execute<{ user_id: string; points: string }[]>(ROWS_FROM_VALUE, [
		guildId,
		points,
		afterUser,
		limit,
		offset,
		guildId,
		points,
		limit,
		limit
	]);
}

/** A member's 1-based leaderboard position, or null when unranked: ranks from the table, one count within the tie. */
async function positionOf(em: EntityManager, guildId: string, userId: string, table: RankTable): Promise<number | null> {
	const [row] = await em.execute<{ points: string }[]>('select points from mileage_total where guild_id = ? and user_id = ?', [
		guildId,
		userId
	]);
	if (!row || Number(row.points) === 0) return null;
	const [tie] = await em.execute<{ n: string }[]>(
		'select count(*) as n from mileage_total where guild_id = ? and points = ? and user_id < ?',
		[guildId, row.points, userId]
	);
	return table.countAbove(Number(row.points)) + Number(tie!.n) + 1;
}

/**
 * One page of the leaderboard: members with points, best first (ties by user id), with competition ranks, the
 * page count and a cursor to the next page. Ranks and positions come from the guild's {@link RankTable} (loaded
 * when none is given); rows are read by keyset from the index, so any page — first, middle or last — costs the
 * same. A page number or rank beyond the end gives an empty page.
 */
export async function leaderboardPage(em: EntityManager, guildId: string, target: LeaderboardTarget, pageSize: number, table?: RankTable) {
	const ranks = table ?? (await loadRankTable(em, guildId));
	let position: number | null;
	let rows: { user_id: string; points: string }[] = [];
	const request = typeof target === 'number' ? { page: target } : target;
	if ('after' in request) {
		const cursor = parseCursor(request.after);
		if (!cursor) throw new InvalidCursorError();
		position = cursor.position + 1;
		rows = await rowsFrom(em, guildId, cursor.points, cursor.userId, 0, pageSize + 1);
	} else {
		if ('page' in request) position = (request.page - 1) * pageSize + 1;
		else if ('rank' in request) position = ranks.positionOfRank(request.rank);
		else position = await positionOf(em, guildId, request.userId, ranks);
		// A rank or member asks for the page that holds it, so pages line up with page numbers.
		if (position !== null && !('page' in request)) position = Math.floor((position - 1) / pageSize) * pageSize + 1;
		const start = position === null ? null : ranks.locate(position);
		if (start) rows = await rowsFrom(em, guildId, start.points, '', start.offset, pageSize + 1);
	}
	// One row past the page says whether there is a next one, exactly, whatever the table's age.
	const hasMore = rows.length > pageSize;
	if (hasMore) rows = rows.slice(0, pageSize);
	const first = position ?? ranks.members + 1;
	const last = rows.at(-1);
	return {
		page: Math.floor((first - 1) / pageSize) + 1,
		pageSize,
		members: ranks.members,
		pages: Math.max(1, Math.ceil(ranks.members / pageSize)),
		/** Position of the page's first entry (1-based). */
		position: first,
		next: last && hasMore ? encodeCursor(Number(last.points), last.user_id, first + rows.length - 1) : null,
		entries: rows.map((row) => ({ userId: row.user_id, points: Number(row.points), rank: ranks.rankOf(Number(row.points))! }))
	};
}

/** A member's ledger, newest first, with which entries were reversed. */
export async function memberHistory(
	em: EntityManager,
	guildId: string,
	userId: string,
	limit: number,
	beforeId?: number
): Promise<LedgerEntry[]> {
	const rows = await em.execute<
		{
			id: string;
			delta: string;
			reason: MileageReason;
			actor_id: string | null;
			note: string | null;
			reverses_event_id: string | null;
			reversed_by: string | null;
			created_at: Date;
		}[]
	>(
		`select e.id, e.delta, e.reason, e.actor_id, e.note, e.reverses_event_id, r.id as reversed_by, e.created_at
		 from mileage_event e left join mileage_event r on r.reverses_event_id = e.id
		 where e.guild_id = ? and e.user_id = ? ${beforeId ? 'and e.id < ?' : ''} order by e.id desc limit ?`,
		beforeId ? [guildId, userId, beforeId, limit] : [guildId, userId, limit]
	);
	return rows.map((row) => ({
		id: Number(row.id),
		guildId,
		userId,
		delta: Number(row.delta),
		reason: row.reason,
		actorId: row.actor_id,
		note: row.note,
		reversesEventId: row.reverses_event_id === null ? null : Number(row.reverses_event_id),
		reversedByEventId: row.reversed_by === null ? null : Number(row.reversed_by),
		createdAt: toDate(row.created_at)
	}));
}

/**
 * Points earned per day (in the guild's time zone) over the last `days` days — today and the `days - 1` whole days
 * before it, from local midnight, so every bucket is a full day — for a chart; optionally one member.
 */
export async function pointsPerDay(em: EntityManager, guildId: string, days: number, timeZone: string, userId?: string) {
	const rows = await em.execute<{ day: string; points: string }[]>(
		`select to_char(date_trunc('day', created_at at time zone ?), 'YYYY-MM-DD') as day, sum(delta) as points
		 from mileage_event where guild_id = ? ${userId ? 'and user_id = ?' : ''}
		 and created_at >= (date_trunc('day', now() at time zone ?) - make_interval(days => ?)) at time zone ?
		 group by 1 order by 1`,
		userId ? [timeZone, guildId, userId, timeZone, days - 1, timeZone] : [timeZone, guildId, timeZone, days - 1, timeZone]
	);
	return rows.map((row) => ({ day: row.day, points: Number(row.points) }));
}
