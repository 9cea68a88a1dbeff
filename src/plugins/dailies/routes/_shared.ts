import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { z } from 'zod';
import { type GuildContext, parseBody, requireGuildManager, runSafely, sendError } from '../../../core/api/index.ts';
import type { FeedItemView, FeedView, PollView } from '../contract.ts';
import { CATCH_UP_POLICIES, FEED_FORMATS } from '../entities/DailiesFeed.ts';
import { DailiesError } from '../lib/errors.ts';
import type { FeedItem } from '../lib/parse.ts';
import { postChannelProblem } from '../lib/posts/channels.ts';
import { PostInput, type PostSpec, parsePostInput } from '../lib/posts/input.ts';
import type { FeedInput } from '../lib/service.ts';
import type { DeliveryRecord, FeedRow } from '../lib/store.ts';

/*
 * What the dailies routes share: body schemas, views, reading a post's body and the error mapping. `_`-prefixed, so the route
 * loader skips this file.
 */

const Snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits)');
const Keywords = z
	.array(z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'))
	.max(20, 'at most 20 keywords');

/** `POST …/feeds` (and with `dryRun: true`, the add preview that saves nothing). */
export const FeedBody = z.strictObject({
	url: z.string().trim().min(1, 'is required').max(2048, 'must be at most 2048 characters'),
	channelId: Snowflake,
	template: z.string().max(4096, 'must be at most 4096 characters').nullable().optional(),
	format: z.enum(FEED_FORMATS).optional(),
	include: Keywords.optional(),
	exclude: Keywords.optional(),
	catchUp: z.enum(CATCH_UP_POLICIES).optional(),
	maxPerPoll: z.number().int('must be a whole number').min(1).max(10).optional(),
	intervalMinutes: z.number().int('must be a whole number').min(1).max(1440).optional(),
	dryRun: z.boolean().optional()
});

/** `POST …/feeds.opml`: an OPML document, channels of the exporting server mapped to this one's, a default channel. */
export const OpmlImportBody = z.strictObject({
	opml: z
		.string()
		.min(1, 'is empty')
		.max(2 * 1024 * 1024, 'must be at most 2 MB'),
	channels: z.record(Snowflake, Snowflake).optional(),
	defaultChannelId: Snowflake.nullable().optional()
});

/** Largest body the OPML import reads. */
export const OPML_BODY_LIMIT = 2 * 1024 * 1024 + 64 * 1024;

/** The service's input from a parsed {@link FeedBody}. */
export function feedInput(body: z.infer<typeof FeedBody>): FeedInput {
	const { dryRun: _dryRun, ...input } = body;
	return input as FeedInput;
}

/** A feed as JSON, with its health. */
export function feedView(feed: FeedRow): FeedView {
	return {
		id: String(feed.id),
		url: feed.url,
		source: feed.source,
		kind: feed.kind,
		title: feed.title,
		channelId: feed.channelId,
		intervalMinutes: Math.round(feed.intervalSeconds / 60),
		template: feed.template,
		format: feed.format,
		include: feed.includeKeywords,
		exclude: feed.excludeKeywords,
		catchUp: feed.catchUp,
		maxPerPoll: feed.maxPerPoll,
		state: feed.state,
		pausedReason: feed.pausedReason,
		health: {
			lastPolledAt: feed.lastPolledAt?.toISOString() ?? null,
			lastSuccessAt: feed.lastSuccessAt?.toISOString() ?? null,
			nextPollAt: feed.state === 'active' ? feed.nextPollAt.toISOString() : null,
			consecutiveFailures: feed.consecutiveFailures,
			lastError: feed.lastError,
			notice: feed.noticeMessageId ? { channelId: feed.noticeChannelId, messageId: feed.noticeMessageId } : null
		},
		createdAt: feed.createdAt.toISOString()
	};
}

/** A poll of the delivery log as JSON. */
export function pollView(poll: DeliveryRecord & { id: number }): PollView {
	return { ...poll, id: String(poll.id), polledAt: poll.polledAt.toISOString() };
}

/** A feed item as JSON (its date as ISO text). */
export function itemView(item: FeedItem | null): FeedItemView | null {
	return item ? { ...item, published: item.published?.toISOString() ?? null } : null;
}

/** The `[feed]` path segment as a feed id, or null after answering 400. */
export function feedIdOf(request: ApiRequest, response: ApiResponse): number | null {
	const index = request.route?.path.findIndex((part) => part === '[feed]' || part === ':feed') ?? -1;
	const segment = index === -1 ? '' : ((request.url ?? '').split('?')[0]!.split('/').filter(Boolean)[index] ?? '');
	const id = /^\d{1,9}$/.test(segment) ? Number(segment) : Number.NaN;
	if (!Number.isInteger(id) || id < 1) {
		response.status(400).json({ error: 'invalid_request', fields: { feed: ['must be a feed number'] } });
		return null;
	}
	return id;
}

/**
 * Answers a {@link DailiesError}: bad input as 400 `invalid_body` with the field at fault (and the identifier),
 * the rest by identifier. False for anything else (left to `runSafely`).
 */
export function sendDailiesError(response: ApiResponse, error: unknown): boolean {
	if (!(error instanceof DailiesError)) return false;
	if (response.writableEnded) return true;
	const status = error.status;
	const context = (error.context ?? {}) as Record<string, unknown>;
	if (status === 400 && error.field) {
		const problem = typeof context.problem === 'string' ? context.problem : error.message;
		response
			.status(400)
			.json({ error: 'invalid_body', reason: error.identifier, message: error.message, fields: { [error.field]: [problem] } });
		return true;
	}
	response.status(status).json({ error: error.identifier, message: error.message, context });
	return true;
}

/**
 * The body of a route on one feed (`…/feeds/[feed]…`): the manage check, the feed id, then `fn`, with dailies
 * errors answered by identifier.
 */
export function runFeedRoute(
	step: string,
	request: ApiRequest,
	response: ApiResponse,
	fn: (ctx: GuildContext, feedId: number) => Promise<void>
): Promise<void> {
	return runSafely(step, response, async () => {
		const ctx = await requireGuildManager(request, response);
		if (!ctx) return;
		const feedId = feedIdOf(request, response);
		if (feedId === null) return;
		try {
			await fn(ctx, feedId);
		} catch (error) {
			if (sendDailiesError(response, error)) return;
			throw error;
		}
	});
}

/**
 * The post a body describes (an add, an edit or a draft preview), checked as an add checks it: the schema, the
 * schedule and prompts, and a channel the bot can post in. Null when the 400 was sent.
 */
export function readPostSpec(request: ApiRequest, response: ApiResponse, guild: GuildContext['guild']): PostSpec | null {
	const body = parseBody(request, response, PostInput);
	if (!body) return null;
	const parsed = parsePostInput(body);
	if (!parsed.ok) {
		sendError(response, 'invalid_body', { fields: parsed.fields });
		return null;
	}
	const problem = parsed.spec.channelId ? postChannelProblem(guild, parsed.spec.channelId) : null;
	if (problem) {
		sendError(response, 'invalid_body', { fields: { channelId: [problem] } });
		return null;
	}
	return parsed.spec;
}
