import type { MikroORM } from '@mikro-orm/postgresql';
import type { FeedRequest } from '../contract.ts';
import type { DeliveryItem } from '../entities/DailiesDeliveryLog.ts';
import { DailiesError, DailiesIdentifiers } from './errors.ts';
import { type FeedFetcher, FetchError } from './fetch.ts';
import { buildOpml, type OpmlFeed, parseOpml } from './opml.ts';
import { type FeedItem, FeedParseError, newestItem, type ParsedFeed, parseFeedBody } from './parse.ts';
import type { FeedHooks } from './poller.ts';
import { filterReason, type MessagePayload, renderItem, templateProblem } from './render.ts';
import type { Sender } from './sender.ts';
import { SendError } from './sender.ts';
import {
	appendDelivery,
	type DeliveryRecord,
	deliveryLog,
	FEED_COLUMNS,
	type FeedRow,
	feedFromRow,
	guildFeed,
	guildFeeds,
	markSeen,
	setPosted
} from './store.ts';
import { isYouTubeFeed, resolveYouTube, YouTubeError } from './youtube.ts';

/** What the service asks the bot beyond the poller's hooks. */
export interface ServiceHooks extends FeedHooks {
	/** Why the bot cannot post feed items in this channel of this guild (missing, not text, no permission), or null. */
	channelProblem(guildId: string, channelId: string): string | null;
}

/** The service's limits and defaults. */
export interface FeedServiceOptions {
	/** Feeds per guild (the host's DAILIES_MAX_FEEDS). */
	maxFeeds: number;
	youtubeBase: string;
	now: () => Date;
}

/** What an admin gives to add a feed (commands and routes): the route's body without its `dryRun` switch. */
export type FeedInput = Omit<FeedRequest, 'dryRun'>;

/** A URL fetched once: what it is, and its newest item rendered as it would be posted. */
export interface Inspection {
	url: string;
	source: string | null;
	kind: FeedRow['kind'];
	title: string | null;
	items: number;
	newest: FeedItem | null;
	parsed: ParsedFeed;
	/** HTTP status of the fetch (recorded in the delivery log of an add). */
	httpStatus: number;
	/** Validators of the fetch, so the first poll is already conditional. */
	etag: string | null;
	lastModified: string | null;
}

/** The feed operations commands and routes share; every refusal is a {@link DailiesError}, before any write. */
export class FeedService {
	readonly options: FeedServiceOptions;
	readonly #orm: MikroORM;
	readonly #fetcher: FeedFetcher;
	readonly #sender: Sender;
	readonly #hooks: ServiceHooks;

	public constructor(orm: MikroORM, fetcher: FeedFetcher, sender: Sender, hooks: ServiceHooks, options: Partial<FeedServiceOptions> = {}) {
		this.#orm = orm;
		this.#fetcher = fetcher;
		this.#sender = sender;
		this.#hooks = hooks;
		this.options = { maxFeeds: 50, youtubeBase: 'https://www.youtube.com', now: () => new Date(), ...options };
	}

	/** Resolves (YouTube), fetches and parses a URL once, without saving anything. */
	public async inspect(input: string): Promise<Inspection> {
		const raw = input.trim();
		if (raw === '') throw invalid('url', 'is required');
		let url: string;
		try {
			url = (await resolveYouTube(this.#fetcher, raw, this.options.youtubeBase)) ?? raw;
		} catch (error) {
			throw fetchProblem(error);
		}
		let parsed: ParsedFeed;
		let fetched: Awaited<ReturnType<FeedFetcher['fetch']>>;
		try {
			fetched = await this.#fetcher.fetch(url);
			url = fetched.url === url ? url : fetched.url;
			parsed = parseFeedBody(fetched.body, fetched.contentType, fetched.url);
		} catch (error) {
			throw fetchProblem(error);
		}
		return {
			url,
			source: url === raw ? null : raw,
			kind: isYouTubeFeed(url, this.options.youtubeBase) ? 'youtube' : parsed.kind,
			title: parsed.title,
			items: parsed.items.length,
			newest: newestItem(parsed.items),
			parsed,
			httpStatus: fetched.status,
			etag: fetched.etag,
			lastModified: fetched.lastModified
		};
	}

	/** Checks the parts of an input that need no network (channel, template, keywords); throws the first problem. */
	public checkInput(guildId: string, input: FeedInput): void {
		const channel = this.#hooks.channelProblem(guildId, input.channelId);
		if (channel) throw invalid('channelId', channel);
		if (input.template !== undefined && input.template !== null) {
			const problem = templateProblem(input.template, input.format ?? 'embed');
			if (problem) throw invalid('template', problem);
		}
		for (const field of ['include', 'exclude'] as const) {
			const words = input[field] ?? [];
			if (words.length > 20) throw invalid(field, 'at most 20 keywords');
			if (words.some((word) => word.trim() === '' || word.length > 100)) throw invalid(field, 'keywords must be 1 to 100 characters');
		}
	}

	/**
	 * Adds a feed: fetches it once, marks every item in it seen and posts at most the newest (unless the filters
	 * keep it out, or it was seen before: a removed feed added again keeps its seen items). The limit is checked
	 * under a per-guild lock, so two adds at once cannot pass it together.
	 */
	public async add(
		guildId: string,
		input: FeedInput,
		actorId: string | null
	): Promise<{ feed: FeedRow; postedMessageId: string | null; preview: MessagePayload | null; inspection: Inspection }> {
		this.checkInput(guildId, input);
		await this.#checkLimit(guildId, 1);
		const inspection = await this.inspect(input.url);
		const em = this.#orm.em.fork();
		const now = this.options.now();
		const format = input.format ?? 'embed';
		const saved = await em.transactional(async (tx) => {
			await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`dailies_feed:${guildId}`]);
			await this.#checkLimit(guildId, 1, tx);
			const [existing] = await tx.execute<{ id: number; state: string }[]>(
				'select id, state from dailies_feed where guild_id = ? and url = ? for update',
				[guildId, inspection.url]
			);
			if (existing && existing.state !== 'removed') {
				throw new DailiesError(DailiesIdentifiers.DuplicateFeed, `This server already follows that feed (#${existing.id}).`, {
					field: 'url',
					feedId: existing.id
				});
			}
			const values = [
				inspection.source,
				inspection.kind,
				inspection.title?.slice(0, 256) ?? null,
				input.channelId,
				(input.intervalMinutes ?? 5) * 60,
				new Date(now.getTime() + (input.intervalMinutes ?? 5) * 60_000),
				input.template ?? null,
				format,
				JSON.stringify(input.include ?? []),
				JSON.stringify(input.exclude ?? []),
				input.catchUp ?? 'digest',
				input.maxPerPoll ?? 5,
				actorId,
				now,
				inspection.etag,
				inspection.lastModified
			];
			const rows = existing
				? await tx.execute<Record<string, unknown>[]>(
						`update dailies_feed set source = ?, kind = ?, title = ?, channel_id = ?, interval_seconds = ?, next_poll_at = ?, template = ?, format = ?,
							include_keywords = ?, exclude_keywords = ?, catch_up = ?, max_per_poll = ?, created_by = ?, created_at = ?, etag = ?, last_modified = ?,
							updated_at = now(), state = 'active', paused_reason = null, consecutive_failures = 0, last_error = null,
							notice_message_id = null, notice_channel_id = null, claimed_until = null, claim_token = null, primed = true
						 where id = ? returning ${FEED_COLUMNS}`,
						[...values, existing.id]
					)
				: await tx.execute<Record<string, unknown>[]>(
						`insert into dailies_feed (source, kind, title, channel_id, interval_seconds, next_poll_at, template, format, include_keywords,
							exclude_keywords, catch_up, max_per_poll, created_by, created_at, etag, last_modified, guild_id, url, primed)
						 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true) returning ${FEED_COLUMNS}`,
						[...values, guildId, inspection.url]
					);
			const feed = feedFromRow(rows[0]!);
			const keys = [...new Set(inspection.parsed.items.map((item) => item.key))];
			const mine = await markSeen(tx, feed.id, keys);
			return { feed, newestIsNew: inspection.newest ? mine.has(inspection.newest.key) : false };
		});
		const { feed } = saved;
		let postedMessageId: string | null = null;
		let preview: MessagePayload | null = null;
		// The add is the feed's first delivery: the log says what happened to the newest item and why the rest waited.
		const older = Math.max(0, inspection.items - (inspection.newest ? 1 : 0));
		const record: DeliveryRecord = {
			polledAt: now,
			httpStatus: inspection.httpStatus,
			error: null,
			found: inspection.items,
			posted: 0,
			skipped: older > 0 ? { seen: older } : {},
			items: []
		};
		if (inspection.newest) {
			const newest = inspection.newest;
			preview = this.render(feed, newest, inspection.title);
			const filtered = filterReason(newest, feed.includeKeywords, feed.excludeKeywords);
			const entry: DeliveryItem = {
				title: newest.title,
				link: newest.link,
				outcome: 'seen',
				reason: 'the newest item was seen before (this server followed the feed earlier)'
			};
			// Seen before (a feed followed again): nothing is posted twice, and the entry above says so.
			if (saved.newestIsNew && filtered) Object.assign(entry, { outcome: 'filtered', reason: filtered });
			else if (saved.newestIsNew) {
				try {
					postedMessageId = await this.#sender.send(feed.channelId, preview);
					await setPosted(em, feed.id, [newest.key], postedMessageId);
					Object.assign(entry, {
						outcome: 'posted',
						reason: 'the newest item, posted when the feed was added',
						messageId: postedMessageId
					});
					record.posted = 1;
				} catch (error) {
					if (!(error instanceof SendError)) throw error;
					// Saved either way; the poller pauses the feed with the reason if the channel stays unusable.
					Object.assign(entry, { outcome: 'failed', reason: error.message });
				}
			}
			record.items.push(entry);
		}
		if (older > 0)
			record.items.push({
				title: null,
				link: null,
				outcome: 'seen',
				reason: `${older} older items marked seen when the feed was added (only the newest is posted)`
			});
		await appendDelivery(em, feed.id, record);
		return { feed, postedMessageId, preview, inspection };
	}

	/** The message an item of this feed is posted as (the poller's renderer, with the guild's time zone). */
	public render(
		feed: Pick<FeedRow, 'guildId' | 'template' | 'format' | 'title' | 'url'>,
		item: FeedItem,
		title?: string | null
	): MessagePayload {
		return renderItem(feed, item, {
			feedTitle: feed.title ?? title ?? feed.url,
			timeZone: this.#hooks.timeZoneOf(feed.guildId),
			locale: this.#hooks.localeOf(feed.guildId)
		});
	}

	/** The guild's feeds (not removed). */
	public list(guildId: string): Promise<FeedRow[]> {
		return guildFeeds(this.#orm.em.fork(), guildId);
	}

	/** One of the guild's feeds, or a {@link DailiesError}. */
	public async get(guildId: string, feedId: number): Promise<FeedRow> {
		const feed = await guildFeed(this.#orm.em.fork(), guildId, feedId);
		if (!feed) throw new DailiesError(DailiesIdentifiers.UnknownFeed, `This server has no feed #${feedId}.`, { feedId });
		return feed;
	}

	/** Removes a feed; its seen items stay, so adding the URL again posts nothing old. */
	public async remove(guildId: string, feedId: number): Promise<FeedRow> {
		const feed = await this.get(guildId, feedId);
		await this.#orm.em
			.fork()
			.execute(
				`update dailies_feed set state = 'removed', claimed_until = null, claim_token = null, updated_at = now() where id = ?`,
				[feed.id],
				'run'
			);
		await this.#orm.em.fork().execute('delete from dailies_delivery_log where feed_id = ?', [feed.id], 'run');
		return feed;
	}

	/** Resumes a paused feed: polled at once, failures and the notice cleared. */
	public async resume(guildId: string, feedId: number): Promise<FeedRow> {
		const feed = await this.get(guildId, feedId);
		if (feed.state === 'active') throw new DailiesError(DailiesIdentifiers.FeedNotPaused, `Feed #${feedId} is not paused.`, { feedId });
		const [row] = await this.#orm.em.fork().execute<Record<string, unknown>[]>(
			`update dailies_feed set state = 'active', paused_reason = null, consecutive_failures = 0, last_error = null, next_poll_at = ?,
				notice_message_id = null, notice_channel_id = null, updated_at = now() where id = ? returning ${FEED_COLUMNS}`,
			[this.options.now(), feed.id]
		);
		return feedFromRow(row!);
	}

	/** Pauses a feed by an admin. */
	public async pause(guildId: string, feedId: number): Promise<FeedRow> {
		const feed = await this.get(guildId, feedId);
		const [row] = await this.#orm.em
			.fork()
			.execute<Record<string, unknown>[]>(
				`update dailies_feed set state = 'paused_admin', paused_reason = 'paused by an admin', updated_at = now() where id = ? returning ${FEED_COLUMNS}`,
				[feed.id]
			);
		return feedFromRow(row!);
	}

	/** The newest item of a saved feed, fetched now and rendered exactly as the poller would post it. */
	public async preview(
		guildId: string,
		feedId: number
	): Promise<{ feed: FeedRow; item: FeedItem | null; payload: MessagePayload | null; filtered: string | null }> {
		const feed = await this.get(guildId, feedId);
		const inspection = await this.inspect(feed.url);
		const item = inspection.newest;
		if (!item) return { feed, item: null, payload: null, filtered: null };
		return {
			feed,
			item,
			payload: this.render(feed, item, inspection.title),
			filtered: filterReason(item, feed.includeKeywords, feed.excludeKeywords)
		};
	}

	/** Renders an item for a feed that is not saved yet (the add preview). */
	public previewInput(guildId: string, input: FeedInput, inspection: Inspection): MessagePayload | null {
		if (!inspection.newest) return null;
		return this.render(
			{ guildId, template: input.template ?? null, format: input.format ?? 'embed', title: inspection.title, url: inspection.url },
			inspection.newest,
			inspection.title
		);
	}

	/** The feed's last polls, newest first. */
	public async log(guildId: string, feedId: number, limit = 100) {
		const feed = await this.get(guildId, feedId);
		return { feed, polls: await deliveryLog(this.#orm.em.fork(), feed.id, limit) };
	}

	/** The guild's feeds as OPML 2.0 (channel, template, format, filters in Facet's namespace). */
	public async exportOpml(guildId: string, guildName: string): Promise<string> {
		const feeds = await this.list(guildId);
		return buildOpml(
			`Facet feeds of ${guildName}`,
			feeds.map((feed) => ({
				url: feed.url,
				title: feed.title,
				channelId: feed.channelId,
				template: feed.template,
				format: feed.format,
				include: feed.includeKeywords,
				exclude: feed.excludeKeywords,
				catchUp: feed.catchUp,
				maxPerPoll: feed.maxPerPoll
			})),
			this.options.now()
		);
	}

	/**
	 * Imports OPML: every outline is checked first (URL, channel after mapping, template, the guild's limit), and
	 * then all are written in one transaction — or none, with the first problem. Imported feeds are primed by
	 * their first poll, which marks their items seen and posts nothing. URLs already followed are skipped.
	 */
	public async importOpml(
		guildId: string,
		opml: string,
		mapping: { channels?: Record<string, string>; defaultChannelId?: string | null },
		actorId: string | null
	): Promise<{ imported: FeedRow[]; skipped: { url: string; reason: string }[] }> {
		const plan = planOpmlImport(opml, mapping, (channelId) => this.#hooks.channelProblem(guildId, channelId));
		const existing = new Set((await this.list(guildId)).map((feed) => feed.url));
		const skipped = plan.filter((feed) => existing.has(feed.url)).map((feed) => ({ url: feed.url, reason: 'already followed' }));
		const toAdd = plan.filter((feed) => !existing.has(feed.url));
		if (toAdd.length === 0) return { imported: [], skipped };
		const now = this.options.now();
		const imported = await this.#orm.em.fork().transactional(async (tx) => {
			await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`dailies_feed:${guildId}`]);
			await this.#checkLimit(guildId, toAdd.length, tx);
			const rows: FeedRow[] = [];
			for (const feed of toAdd) {
				const [row] = await tx.execute<Record<string, unknown>[]>(
					`insert into dailies_feed (guild_id, url, kind, title, channel_id, template, format, include_keywords, exclude_keywords, catch_up,
						max_per_poll, created_by, created_at, next_poll_at, primed)
					 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false)
					 on conflict (guild_id, url) do update set state = 'active', channel_id = excluded.channel_id, template = excluded.template,
						format = excluded.format, include_keywords = excluded.include_keywords, exclude_keywords = excluded.exclude_keywords,
						catch_up = excluded.catch_up, max_per_poll = excluded.max_per_poll, created_at = excluded.created_at,
						next_poll_at = excluded.next_poll_at, consecutive_failures = 0, last_error = null, paused_reason = null,
						etag = null, last_modified = null
					 returning ${FEED_COLUMNS}`,
					[
						guildId,
						feed.url,
						isYouTubeFeed(feed.url, this.options.youtubeBase) ? 'youtube' : 'rss',
						feed.title?.slice(0, 256) ?? null,
						feed.channelId,
						feed.template ?? null,
						feed.format ?? 'embed',
						JSON.stringify(feed.include ?? []),
						JSON.stringify(feed.exclude ?? []),
						feed.catchUp ?? 'digest',
						feed.maxPerPoll ?? 5,
						actorId,
						now,
						now
					]
				);
				rows.push(feedFromRow(row!));
			}
			return rows;
		});
		return { imported, skipped };
	}

	/** Refuses when the guild cannot follow `adding` more feeds (checked again under a lock when saving). */
	public checkLimit(guildId: string, adding = 1): Promise<void> {
		return this.#checkLimit(guildId, adding);
	}

	/** A text document (an OPML file) through the feed fetcher: same address checks, size limit and timeout. */
	public async fetchText(url: string): Promise<string> {
		try {
			return (await this.#fetcher.fetch(url)).body;
		} catch (error) {
			throw fetchProblem(error);
		}
	}

	async #checkLimit(guildId: string, adding: number, tx = this.#orm.em.fork()): Promise<void> {
		const [row] = await tx.execute<{ n: string }[]>(`select count(*) as n from dailies_feed where guild_id = ? and state <> 'removed'`, [
			guildId
		]);
		const count = Number(row?.n ?? 0);
		if (count + adding > this.options.maxFeeds) {
			throw new DailiesError(
				DailiesIdentifiers.FeedLimit,
				`This server follows ${count} feed${count === 1 ? '' : 's'}; the host allows ${this.options.maxFeeds} per server${adding > 1 ? `, so ${adding} more do not fit` : ''}. Remove one first.`,
				{ count, limit: this.options.maxFeeds }
			);
		}
	}
}

/**
 * Checks an OPML import without touching the database: the document parses, every outline has an http(s) URL, a
 * usable channel after mapping (the mapped one, else its own if usable here, else the default) and a valid
 * template. Answers the feeds to add (duplicates inside the document dropped), or throws the first problem.
 */
export function planOpmlImport(
	opml: string,
	mapping: { channels?: Record<string, string>; defaultChannelId?: string | null },
	channelProblem: (channelId: string) => string | null
): (OpmlFeed & { channelId: string })[] {
	let outlines: OpmlFeed[];
	try {
		outlines = parseOpml(opml);
	} catch (error) {
		throw new DailiesError(DailiesIdentifiers.InvalidOpml, `The OPML file is not valid: ${(error as Error).message}`, { field: 'opml' });
	}
	const plan: (OpmlFeed & { channelId: string })[] = [];
	for (const [index, outline] of outlines.entries()) {
		const where = `outline ${index + 1} (${outline.url.slice(0, 100)})`;
		let url: URL | null = null;
		try {
			url = new URL(outline.url);
		} catch {
			url = null;
		}
		if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
			throw new DailiesError(DailiesIdentifiers.InvalidOpml, `The OPML file is not valid: ${where}: xmlUrl is not an http(s) URL.`, {
				field: 'opml'
			});
		}
		if (plan.some((feed) => feed.url === outline.url)) continue;
		const mapped = outline.channelId ? mapping.channels?.[outline.channelId] : undefined;
		const own = outline.channelId && channelProblem(outline.channelId) === null ? outline.channelId : undefined;
		const channelId = mapped ?? own ?? mapping.defaultChannelId ?? null;
		if (!channelId) {
			throw new DailiesError(
				DailiesIdentifiers.InvalidOpml,
				`${where}: no channel of this server is mapped for it${outline.channelId ? ` (channel ${outline.channelId})` : ''}; map it or give a default channel.`,
				{ field: 'channels' }
			);
		}
		const problem = channelProblem(channelId);
		if (problem)
			throw new DailiesError(DailiesIdentifiers.InvalidOpml, `${where}: channel ${channelId} ${problem}.`, { field: 'channels' });
		if (outline.template) {
			const templateIssue = templateProblem(outline.template, outline.format ?? 'embed');
			if (templateIssue)
				throw new DailiesError(DailiesIdentifiers.InvalidOpml, `The OPML file is not valid: ${where}: template ${templateIssue}.`, {
					field: 'opml'
				});
		}
		plan.push({ ...outline, channelId });
	}
	return plan;
}

function invalid(field: string, message: string): DailiesError {
	return new DailiesError(DailiesIdentifiers.InvalidFeedInput, `${field}: ${message}`, { field, problem: message });
}

function fetchProblem(error: unknown): DailiesError {
	if (error instanceof FetchError) {
		if (error.code === 'invalid_url' || error.code === 'blocked_address') return invalid('url', error.message);
		return new DailiesError(DailiesIdentifiers.FeedUnreachable, `url: could not fetch the feed: ${error.message}`, {
			field: 'url',
			problem: error.message
		});
	}
	if (error instanceof FeedParseError) {
		const hint = error.alternate ? `; it links a feed at ${error.alternate}, add that instead` : '';
		return new DailiesError(DailiesIdentifiers.FeedUnreachable, `url: the page ${error.message}${hint}`, {
			field: 'url',
			problem: `${error.message}${hint}`
		});
	}
	if (error instanceof YouTubeError)
		return new DailiesError(DailiesIdentifiers.FeedUnreachable, `url: ${error.message}`, { field: 'url', problem: error.message });
	return error as DailiesError;
}
