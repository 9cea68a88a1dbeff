import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../context.ts';
import { RestError } from '../errors.ts';
import type { ParsedBody } from '../http.ts';
import { BodyTooLargeError, parseBody, readRaw, sendEmpty, sendJson } from '../http.ts';
import { RateLimiter } from '../ratelimit.ts';
import { validateRequest } from '../validate/index.ts';
import type { Caller, HttpMethod, RouteDefinition } from './routes.ts';
import { routeKey, routes } from './routes.ts';

interface CompiledRoute {
	route: RouteDefinition;
	/** Template segments; `null` marks a parameter. */
	segments: Array<{ literal: string } | { param: string }>;
	/** Literal segments win over parameters (`/users/@me` before `/users/{user_id}`). */
	literals: number;
}

const compiled: CompiledRoute[] = routes.map((route) => {
	const segments = route.path
		.split('/')
		.filter(Boolean)
		.map((segment) => {
			const name = /^\{(\w+)\}$/.exec(segment)?.[1];
			return name ? { param: name } : { literal: segment };
		});
	return { route, segments, literals: segments.filter((s) => 'literal' in s).length };
});

function decodeSegment(segment: string): string | null {
	try {
		return decodeURIComponent(segment);
	} catch {
		return null;
	}
}

/**
 * Finds the route for a path; `allowed` lists methods of the path when none matches the method.
 * Segments are compared decoded: discord.js sends `@original` as `%40original`.
 */
export function matchRoute(
	method: string,
	path: string
): { route: RouteDefinition; params: Record<string, string> } | { allowed: HttpMethod[] } {
	const parts = path.split('/').filter(Boolean).map(decodeSegment);
	const hits: Array<{ entry: CompiledRoute; params: Record<string, string> }> = [];
	if (parts.every((p) => p !== null)) {
		for (const entry of compiled) {
			if (entry.segments.length !== parts.length) continue;
			const params: Record<string, string> = {};
			const matches = entry.segments.every((segment, i) => {
				const part = parts[i] ?? '';
				if ('literal' in segment) return segment.literal === part;
				params[segment.param] = part;
				return part.length > 0;
			});
			if (matches) hits.push({ entry, params });
		}
	}
	const forMethod = hits.filter((h) => h.entry.route.method === method).sort((a, b) => b.entry.literals - a.entry.literals);
	const best = forMethod[0];
	if (best) return { route: best.entry.route, params: best.params };
	return { allowed: [...new Set(hits.map((h) => h.entry.route.method))] };
}

/** Discord's `Retry-After` header: whole seconds, rounded up (the body's `retry_after` keeps the exact float). */
function wholeSeconds(seconds: number): string {
	return String(Math.max(1, Math.ceil(seconds)));
}

/** Serves `/api[/vN]/...`: auth, buckets, fault injection, body parsing and Discord-shaped errors. */
export class RestServer {
	readonly #ctx: SandboxContext;
	readonly #limiter: RateLimiter;

	constructor(ctx: SandboxContext, limiter = new RateLimiter()) {
		this.#ctx = ctx;
		this.#limiter = limiter;
	}

	/** Forgets rate-limit buckets, the global count and invalid requests, and lifts a ban. */
	resetBuckets(): void {
		this.#limiter.clear();
		this.#ctx.restLimits.clear();
	}

	/** Handles one request; `path` is relative to the API root (`/channels/1/messages`). */
	async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
		const ctx = this.#ctx;
		let raw: Buffer;
		try {
			raw = await readRaw(req);
		} catch (error) {
			if (error instanceof BodyTooLargeError) return sendJson(res, 413, { code: 40005, message: 'Request entity too large' });
			throw error;
		}
		const now = ctx.now();
		// A Cloudflare ban answers everything, before Discord sees the request (and is not counted again).
		const ban = ctx.restLimits.refuseBanned(now);
		if (ban) {
			const text = 'error code: 1015';
			res.writeHead(429, {
				'Content-Type': 'text/plain; charset=UTF-8',
				'Content-Length': Buffer.byteLength(text),
				'Retry-After': String(Math.ceil(ban.retryAfter))
			});
			res.end(text);
			return;
		}
		// 401, 403 and 429 answers count towards the ban; shared-scope 429s (a resource's limit, not the bot's) do not.
		let scope: string | undefined;
		res.once('finish', () => ctx.restLimits.noteResponse(res.statusCode, scope, ctx.now()));
		const method = (req.method ?? 'GET').toUpperCase();
		const match = matchRoute(method, path);
		if (!('route' in match)) {
			const limit = this.#limiter.take('unmatched', '', now);
			if (match.allowed.length > 0)
				return sendJson(res, 405, { message: '405: Method Not Allowed', code: 0 }, { ...limit.headers, Allow: match.allowed.join(', ') });
			return sendJson(res, 404, { message: '404: Not Found', code: 0 }, { ...limit.headers });
		}
		const { route, params } = match;
		const key = routeKey(route);
		ctx.stats.restRequests++;
		ctx.stats.restByRoute[key] = (ctx.stats.restByRoute[key] ?? 0) + 1;
		ctx.traffic.noteRest();

		// The global limit is per bot token; interaction callbacks and webhook-token routes are not bound by it.
		if (route.auth !== 'none') {
			const global = ctx.restLimits.takeGlobal(now);
			if (global) {
				ctx.stats.rateLimited++;
				scope = 'global';
				return sendJson(
					res,
					429,
					{ message: 'You are being rate limited.', retry_after: global.retryAfter, global: true, code: 0 },
					{ 'Retry-After': wholeSeconds(global.retryAfter), 'X-RateLimit-Global': 'true', 'X-RateLimit-Scope': 'global' }
				);
			}
		}

		// Discord buckets per major parameter, so each channel/guild/webhook counts separately.
		const major = params.channel_id ?? params.guild_id ?? params.interaction_token ?? params.application_id ?? '';
		const limit = this.#limiter.take(key, major, now);
		const headers: Record<string, string> = { ...limit.headers };

		const fault = ctx.faults.take(path);
		if (fault?.kind === 'rest_429') {
			ctx.stats.rateLimited++;
			scope = fault.scope ?? 'user';
			return sendJson(
				res,
				429,
				{ message: 'You are being rate limited.', retry_after: fault.retryAfter, global: false, code: 0 },
				{
					...headers,
					'X-RateLimit-Remaining': '0',
					'X-RateLimit-Reset-After': fault.retryAfter.toFixed(3),
					'Retry-After': wholeSeconds(fault.retryAfter),
					'X-RateLimit-Scope': scope
				}
			);
		}
		if (fault?.kind === 'rest_error') {
			const status = fault.status ?? 403;
			const code = fault.code ?? 0;
			const message = code === 50001 ? 'Missing Access' : `${status}: injected error`;
			return sendJson(res, status, { message, code }, headers);
		}
		if (fault?.kind === 'rest_500') {
			ctx.stats.serverErrors++;
			return sendJson(res, 500, { message: '500: Internal Server Error', code: 0 }, headers);
		}
		if (limit.limited) {
			ctx.stats.rateLimited++;
			return sendJson(
				res,
				429,
				{ message: 'You are being rate limited.', retry_after: limit.resetAfter, global: false, code: 0 },
				{ ...headers, 'Retry-After': wholeSeconds(limit.resetAfter), 'X-RateLimit-Scope': 'user' }
			);
		}

		const caller = this.#authenticate(req, route);
		if (!caller) return sendJson(res, 401, { message: '401: Unauthorized', code: 0 }, headers);

		const body: ParsedBody = parseBody(raw, req.headers['content-type']);
		if (body.malformed) return sendJson(res, 400, { code: 50109, message: 'The request body contains invalid JSON.' }, headers);

		try {
			// Strict like Discord: the body must match the spec's request schema and Discord's limits before anything changes.
			const commit = route.operationId ? validateRequest(ctx, route.operationId, params, body) : undefined;
			const result = route.handle(ctx, { method: route.method, params, query, body, headers: req.headers, caller });
			commit?.();
			if (result.body === undefined) return sendEmpty(res, result.status, headers);
			return sendJson(res, result.status, result.body, headers);
		} catch (error) {
			if (error instanceof RestError) return sendJson(res, error.status, error.toJSON(), headers);
			ctx.logger.error({ err: error, route: key }, 'sandbox REST handler failed');
			return sendJson(res, 500, { message: '500: Internal Server Error', code: 0 }, headers);
		}
	}

	#authenticate(req: IncomingMessage, route: RouteDefinition): Caller | null {
		if (route.auth === 'none') return { kind: 'anonymous' };
		const header = req.headers.authorization ?? '';
		const [scheme, token] = header.split(/\s+/, 2);
		// Once the session start limit ran out, Discord has reset the token: the old one is refused everywhere.
		if (scheme?.toLowerCase() === 'bot' && token === this.#ctx.botToken && !this.#ctx.gateway.tokenReset) return { kind: 'bot' };
		if (route.auth === 'bot-or-bearer' && scheme?.toLowerCase() === 'bearer' && token) {
			const grant = this.#ctx.oauth.bearer(token);
			if (grant) return { kind: 'bearer', grant };
		}
		return null;
	}
}
