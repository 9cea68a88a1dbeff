import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { sendError } from '../../../../core/api/errors.ts';
import { type GuildContext, requireGuildManager, runSafely } from '../../../../core/api/index.ts';
import { DailiesPostError, DailiesPostIdentifiers, DailiesPostStatus } from './errors.ts';
import { formatLocal, formatTimeOfDay, weekdayNames } from './schedule.ts';
import type { DailyPost, DailyPostService, NextRun, PostRun } from './service.ts';

/*
 * What the daily-post routes share: path parameters, views and the error mapping. Lives in lib/, so the route loader
 * never sees it.
 */

/** The `[post]` path parameter as a post id, or null when it cannot be one. */
export function postIdOf(request: ApiRequest): number | null {
	const raw = typeof request.params.post === 'string' ? request.params.post : '';
	return /^\d{1,9}$/.test(raw) && Number(raw) > 0 ? Number(raw) : null;
}

/** Answers 404 `dailiesUnknownPost` for a `[post]` that is not a post id. */
export function sendUnknownPost(response: ApiResponse, request: ApiRequest): void {
	if (response.writableEnded) return;
	response.status(404).json({
		error: DailiesPostIdentifiers.UnknownPost,
		message: `There is no daily post ${String(request.params.post ?? '')} in this server.`
	});
}

/**
 * Answers a {@link DailiesPostError}: invalid input and a missing channel as 400 `invalid_body` with field errors (as
 * every body error), the rest as `{ error: <identifier>, message }` with its status; false for any other error.
 */
export function sendPostError(response: ApiResponse, error: unknown): boolean {
	if (!(error instanceof DailiesPostError)) return false;
	const context = error.context as { fields?: Record<string, string[]> };
	if (context.fields) {
		sendError(response, 'invalid_body', { fields: context.fields, message: error.message });
		return true;
	}
	if (!response.writableEnded)
		response
			.status(DailiesPostStatus[error.identifier as keyof typeof DailiesPostStatus] ?? 400)
			.json({ ...context, error: error.identifier, message: error.message });
	return true;
}

/**
 * Runs a `…/posts/[post]…` route: the manager guard, the post id (404 `dailiesUnknownPost` when it cannot be one) and
 * the error mapping around `handle`.
 */
export function runPostRoute(
	path: string,
	request: ApiRequest,
	response: ApiResponse,
	handle: (ctx: GuildContext, postId: number) => Promise<void>
): Promise<void> {
	return runSafely(path, response, async () => {
		const ctx = await requireGuildManager(request, response);
		if (!ctx) return;
		const postId = postIdOf(request);
		if (postId === null) return sendUnknownPost(response, request);
		try {
			await handle(ctx, postId);
		} catch (error) {
			if (sendPostError(response, error)) return;
			throw error;
		}
	});
}

/** A post as JSON with the zone and channel it follows now. */
export function postViewOf(service: DailyPostService, post: DailyPost, next: NextRun | null) {
	return postView(post, { timeZone: service.timeZoneOf(post), channelId: service.channelOf(post) }, next);
}

/** A post's next run as JSON: the instant, its local date and the local wall time. */
export function nextRunView(next: NextRun | null) {
	return next
		? { at: next.at.toISOString(), localDate: next.localDate, local: formatLocal(next.at, next.timeZone), timeZone: next.timeZone }
		: null;
}

/** A post as JSON (`timeZone`/`channelId` are its own, null when it follows the server's). */
export function postView(post: DailyPost, effective: { timeZone: string; channelId: string | null }, next: NextRun | null) {
	return {
		id: String(post.id),
		time: formatTimeOfDay(post.minuteOfDay),
		weekdays: weekdayNames(post.weekdays),
		timeZone: post.timeZone,
		effectiveTimeZone: effective.timeZone,
		channelId: post.channelId,
		effectiveChannelId: effective.channelId,
		message: post.message,
		prompts: post.prompts,
		rotation: post.rotation && post.prompts ? { position: post.rotation.position, cycleLength: post.prompts.length } : null,
		missedPolicy: post.missedPolicy,
		graceMinutes: post.graceMinutes,
		enabled: post.enabled,
		createdBy: post.createdBy,
		createdAt: post.createdAt.toISOString(),
		nextRun: nextRunView(next)
	};
}

/** A run as JSON. */
export function runView(run: PostRun) {
	return {
		localDate: run.localDate,
		scheduledAt: run.scheduledAt.toISOString(),
		status: run.status,
		channelId: run.channelId,
		messageId: run.messageId,
		reason: run.reason,
		attempts: run.attempts,
		finishedAt: run.finishedAt?.toISOString() ?? null
	};
}
