import type { EntityManager } from '@mikro-orm/postgresql';
import type { DeliveryItem } from '../entities/DailiesDeliveryLog.ts';
import type { CatchUpPolicy, FeedFormat, FeedKind, FeedState } from '../entities/DailiesFeed.ts';

/*
 * The feed tables' queries (the repository). Raw SQL where the claim and the dedupe need exact statements:
 * `for update skip locked` for the claim, `on conflict do nothing returning` for seen items.
 */

/** A feed row as the poller and the service use it. */
export interface FeedRow {
	id: number;
	guildId: string;
	url: string;
	source: string | null;
	kind: FeedKind;
	title: string | null;
	channelId: string;
	intervalSeconds: number;
	etag: string | null;
	lastModified: string | null;
	nextPollAt: Date;
	lastPolledAt: Date | null;
	lastSuccessAt: Date | null;
	consecutiveFailures: number;
	lastError: string | null;
	state: FeedState;
	pausedReason: string | null;
	noticeMessageId: string | null;
	noticeChannelId: string | null;
	template: string | null;
	format: FeedFormat;
	includeKeywords: string[];
	excludeKeywords: string[];
	catchUp: CatchUpPolicy;
	maxPerPoll: number;
	primed: boolean;
	createdAt: Date;
}

const COLUMNS = `id, guild_id, url, source, kind, title, channel_id, interval_seconds, etag, last_modified, next_poll_at,
	last_polled_at, last_success_at, consecutive_failures, last_error, state, paused_reason, notice_message_id,
	notice_channel_id, template, format, include_keywords, exclude_keywords, catch_up, max_per_poll, primed, created_at`;

const asDate = (value: unknown) => (value === null || value === undefined ? null : value instanceof Date ? value : new Date(String(value)));
const asList = (value: unknown): string[] =>
	Array.isArray(value) ? value.map(String) : typeof value === 'string' ? (JSON.parse(value) as string[]) : [];

/** A raw row (snake_case) as a {@link FeedRow}. */
export function feedFromRow(row: Record<string, unknown>): FeedRow {
	return {
		id: Number(row.id),
		guildId: String(row.guild_id),
		url: String(row.url),
		source: (row.source as string | null) ?? null,
		kind: row.kind as FeedKind,
		title: (row.title as string | null) ?? null,
		channelId: String(row.channel_id),
		intervalSeconds: Number(row.interval_seconds),
		etag: (row.etag as string | null) ?? null,
		lastModified: (row.last_modified as string | null) ?? null,
		nextPollAt: asDate(row.next_poll_at)!,
		lastPolledAt: asDate(row.last_polled_at),
		lastSuccessAt: asDate(row.last_success_at),
		consecutiveFailures: Number(row.consecutive_failures),
		lastError: (row.last_error as string | null) ?? null,
		state: row.state as FeedState,
		pausedReason: (row.paused_reason as string | null) ?? null,
		noticeMessageId: (row.notice_message_id as string | null) ?? null,
		noticeChannelId: (row.notice_channel_id as string | null) ?? null,
		template: (row.template as string | null) ?? null,
		format: row.format as FeedFormat,
		includeKeywords: asList(row.include_keywords),
		excludeKeywords: asList(row.exclude_keywords),
		catchUp: row.catch_up as CatchUpPolicy,
		maxPerPoll: Number(row.max_per_poll),
		primed: Boolean(row.primed),
		createdAt: asDate(row.created_at)!
	};
}

/** `(?, ?), (?, ?)` for a multi-row insert. */
export function placeholders(rows: number, columns: number): string {
	const row = `(${Array(columns).fill('?').join(', ')})`;
	return Array(rows).fill(row).join(', ');
}

/**
 * Claims up to `limit` due, active feeds for `claimMs`: the inner select locks candidate rows and skips those
 * another worker is claiming right now, and the claim itself (`claimed_until`) keeps them out of every other
 * worker's selects until this one releases them or the claim expires (a worker that died).
 */
export async function claimDueFeeds(
	em: EntityManager,
	options: { now: Date; claimMs: number; token: string; limit: number; guildIds?: readonly string[] }
): Promise<FeedRow[]> {
	const guilds = options.guildIds;
	if (guilds && guilds.length === 0) return [];
	const guildFilter = guilds ? `and guild_id in (${guilds.map(() => '?').join(', ')})` : '';
	const rows = await em.execute<Record<string, unknown>[]>(
		`update dailies_feed set claimed_until = ?, claim_token = ?
		 where id in (
			select id from dailies_feed
			where state = 'active' and next_poll_at <= ? and (claimed_until is null or claimed_until < ?) ${guildFilter}
			order by next_poll_at, id limit ? for update skip locked
		 )
		 returning ${COLUMNS}`,
		[new Date(options.now.getTime() + options.claimMs), options.token, options.now, options.now, ...(guilds ?? []), options.limit]
	);
	return rows.map(feedFromRow);
}

/** Which of these item keys the feed has seen. */
export async function seenKeys(em: EntityManager, feedId: number, keys: readonly string[]): Promise<Set<string>> {
	const seen = new Set<string>();
	for (let i = 0; i < keys.length; i += 1000) {
		const part = keys.slice(i, i + 1000);
		const rows = await em.execute<{ item_key: string }[]>(
			`select item_key from dailies_seen_item where feed_id = ? and item_key in (${part.map(() => '?').join(', ')})`,
			[feedId, ...part]
		);
		for (const row of rows) seen.add(row.item_key);
	}
	return seen;
}

/** Marks keys seen; answers the keys this call inserted (a key another worker inserted first is not ours). */
export async function markSeen(em: EntityManager, feedId: number, keys: readonly string[]): Promise<Set<string>> {
	const mine = new Set<string>();
	for (let i = 0; i < keys.length; i += 1000) {
		const part = keys.slice(i, i + 1000);
		const rows = await em.execute<{ item_key: string }[]>(
			`insert into dailies_seen_item (feed_id, item_key) values ${placeholders(part.length, 2)}
			 on conflict (feed_id, item_key) do nothing returning item_key`,
			part.flatMap((key) => [feedId, key])
		);
		for (const row of rows) mine.add(row.item_key);
	}
	return mine;
}

/** Records the message that posted an item. */
export async function setPosted(em: EntityManager, feedId: number, keys: readonly string[], messageId: string): Promise<void> {
	if (keys.length === 0) return;
	await em.execute(
		`update dailies_seen_item set message_id = ? where feed_id = ? and item_key in (${keys.map(() => '?').join(', ')})`,
		[messageId, feedId, ...keys],
		'run'
	);
}

/** Forgets keys this poll claimed but could not post, so a later poll delivers them. */
export async function unmarkSeen(em: EntityManager, feedId: number, keys: readonly string[]): Promise<void> {
	if (keys.length === 0) return;
	await em.execute(
		`delete from dailies_seen_item where feed_id = ? and message_id is null and item_key in (${keys.map(() => '?').join(', ')})`,
		[feedId, ...keys],
		'run'
	);
}

/** One poll as the delivery log keeps it. */
export interface DeliveryRecord {
	polledAt: Date;
	httpStatus: number | null;
	error: string | null;
	found: number;
	posted: number;
	skipped: Record<string, number>;
	items: DeliveryItem[];
}

/** How many polls the delivery log keeps per feed. */
export const DELIVERY_LOG_SIZE = 100;

/** Appends a poll to the feed's delivery log and drops what is past the last {@link DELIVERY_LOG_SIZE}. */
export async function appendDelivery(em: EntityManager, feedId: number, record: DeliveryRecord): Promise<void> {
	await em.execute(
		`insert into dailies_delivery_log (feed_id, polled_at, http_status, error, found, posted, skipped, items) values (?, ?, ?, ?, ?, ?, ?, ?)`,
		[
			feedId,
			record.polledAt,
			record.httpStatus,
			record.error?.slice(0, 500) ?? null,
			record.found,
			record.posted,
			JSON.stringify(record.skipped),
			JSON.stringify(record.items.slice(0, 50))
		],
		'run'
	);
	await em.execute(
		`delete from dailies_delivery_log where feed_id = ? and id <= (
			select id from dailies_delivery_log where feed_id = ? order by id desc offset ? limit 1
		 )`,
		[feedId, feedId, DELIVERY_LOG_SIZE],
		'run'
	);
}

/** The feed's last polls, newest first. */
export async function deliveryLog(
	em: EntityManager,
	feedId: number,
	limit = DELIVERY_LOG_SIZE
): Promise<(DeliveryRecord & { id: number })[]> {
	const rows = await em.execute<Record<string, unknown>[]>(
		'select * from dailies_delivery_log where feed_id = ? order by id desc limit ?',
		[feedId, limit]
	);
	return rows.map((row) => ({
		id: Number(row.id),
		polledAt: asDate(row.polled_at)!,
		httpStatus: row.http_status === null ? null : Number(row.http_status),
		error: (row.error as string | null) ?? null,
		found: Number(row.found),
		posted: Number(row.posted),
		skipped: (typeof row.skipped === 'string' ? JSON.parse(row.skipped) : row.skipped) as Record<string, number>,
		items: (typeof row.items === 'string' ? JSON.parse(row.items) : row.items) as DeliveryItem[]
	}));
}

/** A guild's feeds (removed ones left out), oldest first. */
export async function guildFeeds(em: EntityManager, guildId: string): Promise<FeedRow[]> {
	const rows = await em.execute<Record<string, unknown>[]>(
		`select ${COLUMNS} from dailies_feed where guild_id = ? and state <> 'removed' order by id`,
		[guildId]
	);
	return rows.map(feedFromRow);
}

/** One of a guild's feeds (not removed), or null. */
export async function guildFeed(em: EntityManager, guildId: string, feedId: number): Promise<FeedRow | null> {
	const [row] = await em.execute<Record<string, unknown>[]>(
		`select ${COLUMNS} from dailies_feed where guild_id = ? and id = ? and state <> 'removed'`,
		[guildId, feedId]
	);
	return row ? feedFromRow(row) : null;
}

/** The select list of a feed row, for statements elsewhere in the plugin. */
export const FEED_COLUMNS = COLUMNS;
