import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { type GuildContext, requireGuildManager, runSafely } from '../../../../core/api/index.ts';
import type { NextRunView, PostView, RunView } from '../../contract.ts';
import { DailiesIdentifiers } from '../errors.ts';
import { postError } from './errors.ts';
import { formatLocal, formatTimeOfDay, weekdayNames } from './schedule.ts';
import type { DailyPost, DailyPostService, NextRun, PostRun } from './service.ts';

/*
 * What the daily-post routes share: the `[post]` wrapper and the views. Lives in lib/, so the route loader
 * never sees it.
 */

/** The `[post]` path parameter as a post id, or null when it cannot be one. */
export function postIdOf(request: ApiRequest): number | null {
	const raw = typeof request.params.post === 'string' ? request.params.post : '';
	return /^\d{1,9}$/.test(raw) && Number(raw) > 0 ? Number(raw) : null;
}

/**
 * Runs a `…/posts/[post]…` route: the manager guard, the post id (404 `dailies_unknown_post` when it cannot be one) and
 * the core's error rendering around `handle`.
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
		if (postId === null) {
			throw postError(DailiesIdentifiers.UnknownPost, 'There is no such daily post in this server.', {
				postId: String(request.params.post ?? '')
			});
		}
		// Refusals thrown by the service (unknown post, nothing to skip) are answered by runSafely with their status.
		await handle(ctx, postId);
	});
}

/** A post as JSON with the zone and channel it follows now. */
export function postViewOf(service: DailyPostService, post: DailyPost, next: NextRun | null): PostView {
	return postView(post, { timeZone: service.timeZoneOf(post), channelId: service.channelOf(post) }, next);
}

/** A post's next run as JSON: the instant, its local date and the local wall time. */
export function nextRunView(next: NextRun | null): NextRunView | null {
	return next
		? { at: next.at.toISOString(), localDate: next.localDate, local: formatLocal(next.at, next.timeZone), timeZone: next.timeZone }
		: null;
}

/** A post as JSON (`timeZone`/`channelId` are its own, null when it follows the server's). */
export function postView(post: DailyPost, effective: { timeZone: string; channelId: string | null }, next: NextRun | null): PostView {
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
export function runView(run: PostRun): RunView {
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
