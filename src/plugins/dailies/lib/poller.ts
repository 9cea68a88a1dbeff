import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { DeliveryItem } from '../entities/DailiesDeliveryLog.ts';
import { type FeedFetcher, FetchError, type FetchResult } from './fetch.ts';
import { runLimited } from './limiter.ts';
import { type FeedItem, FeedParseError, oldestFirst, type ParsedFeed, parseFeedBody } from './parse.ts';
import { filterReason, renderDigest, renderItem } from './render.ts';
import { SendError, type Sender } from './sender.ts';
import { appendDelivery, claimDueFeeds, type DeliveryRecord, type FeedRow, markSeen, seenKeys, setPosted, unmarkSeen } from './store.ts';

/** What the poller asks the rest of the bot about a guild (from memory). */
export interface FeedHooks {
	timeZoneOf(guildId: string): string;
	localeOf(guildId: string): string;
	/** The guild's alerts channel for feed notices, or null for the feed's own channel. */
	alertsChannelOf(guildId: string): string | null;
}

/** How the poller works. */
export interface PollerOptions {
	/** Feeds fetched at once. */
	concurrency: number;
	/** Feeds fetched at once from one host. */
	perHost: number;
	/** How long a claim holds (a worker that dies frees its feeds after this). */
	claimMs: number;
	/** Failures in a row that pause a feed. */
	maxFailures: number;
	/** Longest backoff after failures. */
	maxBackoffMs: number;
	/** Longest wait a `Retry-After` may impose. */
	maxRetryAfterMs: number;
	/** An item dated this long before the feed was added is too old to post. */
	tooOldMs: number;
	/** The clock (tests move it). */
	now: () => Date;
}

/** The defaults of {@link PollerOptions}: 8 at once, 2 per host, 5 failures, backoff up to 6 h. */
export const DefaultPollerOptions: PollerOptions = {
	concurrency: 8,
	perHost: 2,
	claimMs: 5 * 60_000,
	maxFailures: 5,
	maxBackoffMs: 6 * 3_600_000,
	maxRetryAfterMs: 24 * 3_600_000,
	tooOldMs: 24 * 3_600_000,
	now: () => new Date()
};

/** What one poll of one feed did. */
export interface PollOutcome {
	feedId: number;
	status: number | null;
	posted: number;
	error: string | null;
	paused: boolean;
}

/** What one cycle did. */
export interface CycleResult {
	polled: number;
	posted: number;
	failed: number;
	ms: number;
}

/** Thrown inside a poll to end it as a failure with this message and HTTP status. */
class PollFailure extends Error {
	public readonly status: number | null;
	public readonly retryAfterMs: number | null;

	public constructor(message: string, status: number | null, retryAfterMs: number | null = null) {
		super(message);
		this.status = status;
		this.retryAfterMs = retryAfterMs;
	}
}

/**
 * Polls due feeds and delivers their new items. Feeds are claimed in the database, so any number of workers
 * (processes, or the `dailiesPollFeeds` task wherever BullMQ runs it) never poll one feed at once, and each seen
 * item is inserted before it is posted (`on conflict do nothing`), so an item is posted at most once even if a
 * claim expired under a stalled worker.
 */
export class FeedPoller {
	readonly options: PollerOptions;
	readonly #orm: MikroORM;
	readonly #fetcher: FeedFetcher;
	readonly #sender: Sender;
	readonly #hooks: FeedHooks;
	readonly #logger: Logger;
	#cycle: Promise<CycleResult> | null = null;
	#stopped = false;

	public constructor(
		orm: MikroORM,
		fetcher: FeedFetcher,
		sender: Sender,
		hooks: FeedHooks,
		logger: Logger,
		options: Partial<PollerOptions> = {}
	) {
		this.#orm = orm;
		this.#fetcher = fetcher;
		this.#sender = sender;
		this.#hooks = hooks;
		this.#logger = logger;
		this.options = { ...DefaultPollerOptions, ...options };
	}

	/**
	 * Polls every due feed (of these guilds, when given), claiming them in batches, with the concurrency and
	 * per-host limits. A cycle already running in this process is joined, not doubled.
	 */
	public runCycle(guildIds?: readonly string[]): Promise<CycleResult> {
		if (this.#cycle) return this.#cycle;
		this.#cycle = this.#run(guildIds).finally(() => {
			this.#cycle = null;
		});
		return this.#cycle;
	}

	/**
	 * Stops claiming and waits up to `stopWaitMs` for the polls in flight. Polls cut short leave their feeds claimed
	 * until the claim expires: they are polled late by another worker, never twice (seen rows are written first).
	 */
	public async stop(stopWaitMs = 3_000): Promise<void> {
		this.#stopped = true;
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<void>((resolve) => {
			timer = setTimeout(resolve, stopWaitMs);
		});
		await Promise.race([this.#cycle?.catch(() => undefined), deadline]);
		clearTimeout(timer);
		await this.#fetcher.close().catch(() => undefined);
	}

	async #run(guildIds?: readonly string[]): Promise<CycleResult> {
		const started = Date.now();
		const result: CycleResult = { polled: 0, posted: 0, failed: 0, ms: 0 };
		const batch = Math.max(this.options.concurrency * 4, 32);
		while (!this.#stopped) {
			const token = randomUUID();
			const feeds = await claimDueFeeds(this.#orm.em.fork(), {
				now: this.options.now(),
				claimMs: this.options.claimMs,
				token,
				limit: batch,
				...(guildIds ? { guildIds } : {})
			});
			if (feeds.length === 0) break;
			await runLimited(feeds, hostOf, { concurrency: this.options.concurrency, perKey: this.options.perHost }, async (feed) => {
				const outcome = await this.pollFeed(feed, token).catch((error) => {
					this.#logger.error({ err: error, feedId: feed.id, guildId: feed.guildId }, 'feed poll crashed');
					return null;
				});
				result.polled++;
				if (!outcome || outcome.error) result.failed++;
				result.posted += outcome?.posted ?? 0;
			});
		}
		result.ms = Date.now() - started;
		return result;
	}

	/** Polls one claimed feed (the claim's `token` guards every write) and records the poll in its log. */
	public async pollFeed(feed: FeedRow, token: string): Promise<PollOutcome> {
		const em = this.#orm.em.fork();
		const now = this.options.now();
		let fetched: FetchResult;
		let parsed: ParsedFeed | null = null;
		try {
			try {
				fetched = await this.#fetcher.fetch(feed.url, { etag: feed.etag, lastModified: feed.lastModified });
			} catch (error) {
				if (error instanceof FetchError) throw new PollFailure(error.message, error.status, error.retryAfterMs);
				throw error;
			}
			if (!fetched.notModified) {
				try {
					parsed = parseFeedBody(fetched.body, fetched.contentType, fetched.url);
				} catch (error) {
					if (error instanceof FeedParseError) throw new PollFailure(`the answer ${error.message}`, fetched.status);
					throw error;
				}
			}
		} catch (error) {
			if (!(error instanceof PollFailure)) throw error;
			return this.#fail(em, feed, token, now, error);
		}
		const record: DeliveryRecord = { polledAt: now, httpStatus: fetched.status, error: null, found: 0, posted: 0, skipped: {}, items: [] };
		let pause: SendError | null = null;
		if (parsed) {
			record.found = parsed.items.length;
			if (feed.primed) {
				pause = await this.#deliver(em, feed, parsed, record);
			} else {
				// An imported feed: its current items become seen, nothing is posted (no flood on the first poll).
				const keys = [...new Set(parsed.items.map((item) => item.key))];
				await markSeen(em, feed.id, keys);
				record.skipped.seen = keys.length;
			}
		}
		if (pause && pause.kind === 'transient') {
			return this.#fail(em, feed, token, now, new PollFailure(pause.message, fetched.status), record);
		}
		const [row] = await em.execute<{ id: number }[]>(
			`update dailies_feed set etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?, consecutive_failures = 0,
				last_error = null, next_poll_at = ?, title = coalesce(?, title), primed = true, claimed_until = null, claim_token = null,
				state = case when ? and state = 'active' then 'paused_channel' else state end,
				paused_reason = case when ? and state = 'active' then ? else paused_reason end, updated_at = ?
			 where id = ? and claim_token = ? returning id`,
			[
				// After a failed delivery the old validators stay, so the next poll gets the items again, not a 304.
				fetched.notModified || pause ? feed.etag : fetched.etag,
				fetched.notModified || pause ? feed.lastModified : fetched.lastModified,
				now,
				now,
				new Date(now.getTime() + feed.intervalSeconds * 1000),
				parsed?.title?.slice(0, 256) ?? null,
				pause !== null,
				pause !== null,
				pause?.message ?? null,
				now,
				feed.id,
				token
			]
		);
		if (!row) this.#logger.warn({ feedId: feed.id }, 'feed claim was lost before the poll finished (claim expired)');
		if (pause) record.error = `paused: ${pause.message}`;
		await appendDelivery(em, feed.id, record);
		return { feedId: feed.id, status: fetched.status, posted: record.posted, error: null, paused: pause !== null };
	}

	/**
	 * Delivers a poll's new items: oldest first, too old and filtered ones skipped, at most `maxPerPoll` posted,
	 * the rest linked in one digest (or skipped, by the feed's catch-up policy). Answers the send error that
	 * stopped delivery, if any (its unsent items are forgotten again, so they are delivered later).
	 */
	async #deliver(em: EntityManager, feed: FeedRow, parsed: ParsedFeed, record: DeliveryRecord): Promise<SendError | null> {
		const unique = new Map<string, FeedItem>();
		for (const item of parsed.items) if (!unique.has(item.key)) unique.set(item.key, item);
		const seen = await seenKeys(em, feed.id, [...unique.keys()]);
		const fresh = oldestFirst([...unique.values()].filter((item) => !seen.has(item.key)));
		const skip = (reason: string) => {
			record.skipped[reason] = (record.skipped[reason] ?? 0) + 1;
		};
		if (seen.size > 0) record.skipped.seen = seen.size;
		if (fresh.length === 0) return null;
		const mine = await markSeen(
			em,
			feed.id,
			fresh.map((item) => item.key)
		);
		const entries: { item: FeedItem; log: DeliveryItem }[] = [];
		const eligible: FeedItem[] = [];
		const oldest = feed.createdAt.getTime() - this.options.tooOldMs;
		for (const item of fresh) {
			const log: DeliveryItem = { title: item.title, link: item.link, outcome: 'posted' };
			entries.push({ item, log });
			if (!mine.has(item.key)) {
				log.outcome = 'seen';
				log.reason = 'delivered by another worker';
				skip('seen');
				continue;
			}
			if (item.published && item.published.getTime() < oldest) {
				log.outcome = 'too_old';
				log.reason = `published ${item.published.toISOString()}, before the feed was added`;
				skip('too_old');
				continue;
			}
			const filtered = filterReason(item, feed.includeKeywords, feed.excludeKeywords);
			if (filtered) {
				log.outcome = 'filtered';
				log.reason = filtered;
				skip('filtered');
				continue;
			}
			eligible.push(item);
		}
		const logOf = new Map(entries.map((entry) => [entry.item.key, entry.log]));
		const toPost = eligible.slice(0, feed.maxPerPoll);
		const over = eligible.slice(feed.maxPerPoll);
		for (const item of over) {
			const log = logOf.get(item.key)!;
			log.outcome = 'capped';
			log.reason =
				feed.catchUp === 'digest'
					? `over the cap of ${feed.maxPerPoll} per poll: linked in the digest`
					: `over the cap of ${feed.maxPerPoll} per poll: skipped (catch-up policy "skip")`;
			skip('capped');
		}
		record.items = entries.map((entry) => entry.log).filter((log) => log.outcome !== 'seen' || log.reason);
		const context = {
			feedTitle: feed.title ?? parsed.title ?? feed.url,
			timeZone: this.#hooks.timeZoneOf(feed.guildId),
			locale: this.#hooks.localeOf(feed.guildId)
		};
		const unsent = [...toPost];
		try {
			while (unsent.length > 0) {
				const item = unsent[0]!;
				const messageId = await this.#sender.send(feed.channelId, renderItem(feed, item, context), nonceOf(feed.id, item.key));
				unsent.shift();
				await setPosted(em, feed.id, [item.key], messageId);
				const log = logOf.get(item.key)!;
				log.messageId = messageId;
				record.posted++;
			}
			if (over.length > 0 && feed.catchUp === 'digest') {
				const keys = over.map((item) => item.key);
				const messageId = await this.#sender.send(
					feed.channelId,
					renderDigest(context.feedTitle, over),
					nonceOf(feed.id, `digest:${keys[0]}`)
				);
				await setPosted(em, feed.id, keys, messageId);
				for (const item of over) logOf.get(item.key)!.messageId = messageId;
			}
			return null;
		} catch (error) {
			const failure = error instanceof SendError ? error : new SendError('transient', String((error as Error).message ?? error));
			// Unsent items (and the digest's) become new again: delivered once the channel works or the feed resumes.
			const retry = [...unsent, ...(over.length > 0 && feed.catchUp === 'digest' ? over : [])];
			await unmarkSeen(
				em,
				feed.id,
				retry.map((item) => item.key)
			);
			for (const item of retry) {
				const log = logOf.get(item.key)!;
				log.outcome = 'failed';
				log.reason = failure.message;
			}
			return failure;
		}
	}

	/** Records a failed poll: backoff (honouring Retry-After), and after `maxFailures` in a row a pause and one notice. */
	async #fail(
		em: EntityManager,
		feed: FeedRow,
		token: string,
		now: Date,
		failure: PollFailure,
		record?: DeliveryRecord
	): Promise<PollOutcome> {
		const failures = feed.consecutiveFailures + 1;
		const backoff = Math.min(feed.intervalSeconds * 1000 * 2 ** failures, this.options.maxBackoffMs);
		const wait = Math.max(backoff, Math.min(failure.retryAfterMs ?? 0, this.options.maxRetryAfterMs));
		const pausing = failures >= this.options.maxFailures;
		const reason = `${failures} failed polls in a row; last: ${failure.message}`.slice(0, 500);
		const [row] = await em.execute<{ state: string; consecutive_failures: number }[]>(
			`update dailies_feed set consecutive_failures = consecutive_failures + 1, last_error = ?, last_polled_at = ?, next_poll_at = ?,
				state = case when ? and state = 'active' then 'paused_failures' else state end,
				paused_reason = case when ? and state = 'active' then ? else paused_reason end,
				claimed_until = null, claim_token = null, updated_at = ?
			 where id = ? and claim_token = ? returning state, consecutive_failures`,
			[failure.message.slice(0, 500), now, new Date(now.getTime() + wait), pausing, pausing, reason, now, feed.id, token]
		);
		await appendDelivery(em, feed.id, {
			polledAt: now,
			httpStatus: failure.status,
			error: failure.message,
			found: record?.found ?? 0,
			posted: record?.posted ?? 0,
			skipped: record?.skipped ?? {},
			items: record?.items ?? []
		});
		// The update that moved the feed to paused is the only one that posts the notice: exactly one per pause.
		const paused = row?.state === 'paused_failures' && Number(row.consecutive_failures) === this.options.maxFailures;
		if (paused) await this.#notice(em, feed, reason);
		return { feedId: feed.id, status: failure.status, posted: record?.posted ?? 0, error: failure.message, paused };
	}

	async #notice(em: EntityManager, feed: FeedRow, reason: string): Promise<void> {
		const channelId = this.#hooks.alertsChannelOf(feed.guildId) ?? feed.channelId;
		const content = [
			`⚠️ The feed **${(feed.title ?? feed.url).slice(0, 200)}** (#${feed.id}, <${feed.url.slice(0, 500)}>) is paused: ${reason}.`,
			`Nothing is lost: once the feed works again, \`/dailies feed resume feed:${feed.id}\` (or the dashboard) resumes it.`
		].join('\n');
		try {
			const messageId = await this.#sender.send(
				channelId,
				{ content: content.slice(0, 2000), allowed_mentions: { parse: [] } },
				nonceOf(feed.id, `notice:${Date.now()}`)
			);
			await em.execute(
				'update dailies_feed set notice_message_id = ?, notice_channel_id = ? where id = ?',
				[messageId, channelId, feed.id],
				'run'
			);
		} catch (error) {
			this.#logger.warn({ err: error, feedId: feed.id, guildId: feed.guildId, channelId }, 'could not post the feed pause notice');
		}
	}
}

function hostOf(feed: FeedRow): string {
	try {
		return new URL(feed.url).host;
	} catch {
		return feed.url;
	}
}

/** A Discord nonce (≤ 25 characters) for an item of a feed: a retried post of the same item is deduplicated. */
export function nonceOf(feedId: number, key: string): string {
	return createHash('sha256').update(`${feedId}:${key}`).digest('base64url').slice(0, 25);
}
