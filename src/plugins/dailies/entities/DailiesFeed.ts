import { defineEntity, p } from '@mikro-orm/core';

/** What a feed's URL turned out to be. */
export const FEED_KINDS = ['rss', 'atom', 'json', 'youtube'] as const;
/** What a feed's URL turned out to be. */
export type FeedKind = (typeof FEED_KINDS)[number];

/**
 * A feed's state: polled (`active`), paused by an admin, paused after too many failures in a row, paused because
 * its channel is gone or the bot may not post there, or removed (kept so its seen items keep deduplicating when
 * the same URL is added again).
 */
export const FEED_STATES = ['active', 'paused_admin', 'paused_failures', 'paused_channel', 'removed'] as const;
/** A feed's state. */
export type FeedState = (typeof FEED_STATES)[number];

/** How a feed's message looks: plain text, or an embed. */
export const FEED_FORMATS = ['embed', 'text'] as const;
/** How a feed's message looks. */
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** What happens to new items past the per-poll cap: linked in one digest message, or skipped. */
export const CATCH_UP_POLICIES = ['digest', 'skip'] as const;
/** What happens to new items past the per-poll cap. */
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

/** A followed feed: where it is, where it posts, how it is polled and how healthy it is. */
export const DailiesFeed = defineEntity({
	name: 'DailiesFeed',
	tableName: 'dailies_feed',
	uniques: [{ properties: ['guildId', 'url'] }],
	indexes: [{ properties: ['state', 'nextPollAt'] }],
	properties: {
		id: p.integer().primary().autoincrement(),
		guildId: p.string().length(20),
		/** The feed's own URL (a YouTube channel becomes its feed URL). */
		url: p.string().length(2048),
		/** What the admin typed, when it differs from `url` (a YouTube @handle, a channel page). */
		source: p.string().length(2048).nullable(),
		kind: p.enum(() => [...FEED_KINDS]),
		title: p.string().length(256).nullable(),
		channelId: p.string().length(20),
		intervalSeconds: p.integer().default(300),
		etag: p.string().length(512).nullable(),
		lastModified: p.string().length(128).nullable(),
		nextPollAt: p.datetime().defaultRaw('now()'),
		/** A worker owns the feed until then (claim-based polling: never two polls of one feed at once). */
		claimedUntil: p.datetime().nullable(),
		claimToken: p.string().length(36).nullable(),
		lastPolledAt: p.datetime().nullable(),
		lastSuccessAt: p.datetime().nullable(),
		consecutiveFailures: p.integer().default(0),
		lastError: p.string().length(500).nullable(),
		state: p.enum(() => [...FEED_STATES]).default('active'),
		pausedReason: p.string().length(500).nullable(),
		/** The one message that said the feed was paused by failures. */
		noticeMessageId: p.string().length(20).nullable(),
		noticeChannelId: p.string().length(20).nullable(),
		template: p.string().length(2000).nullable(),
		format: p.enum(() => [...FEED_FORMATS]).default('embed'),
		includeKeywords: p.json<string[]>().defaultRaw(`'[]'`),
		excludeKeywords: p.json<string[]>().defaultRaw(`'[]'`),
		catchUp: p.enum(() => [...CATCH_UP_POLICIES]).default('digest'),
		maxPerPoll: p.integer().default(5),
		/** Whether its items were marked seen once (at add; an imported feed is primed by its first poll, posting nothing). */
		primed: p.boolean().default(false),
		createdBy: p.string().length(20).nullable(),
		createdAt: p.datetime().defaultRaw('now()'),
		updatedAt: p.datetime().defaultRaw('now()')
	}
});
