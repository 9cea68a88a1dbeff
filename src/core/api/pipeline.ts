import { createHash } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import type { z } from 'zod';
import { jsonInputProblems, textProblem } from '../input.ts';
import { isGuildRoute, requireGuildManager, resolveSession } from './access.ts';
import { declaredLength, hasBody, isJsonType, mediaType, readLimitedBody } from './body.ts';
import { headerValue, parseCookies } from './cookies.ts';
import { corsHeaders, isCrossSiteWrite } from './cors.ts';
import { sendError, sendFieldErrors } from './errors.ts';
import { clientAddress, requestState } from './request-state.ts';
import { getApiServices } from './services.ts';

/*
 * The request pipeline, in the order the middlewares run it (see `src/middlewares/`):
 * headers (CORS, 404/405, CSRF origin check) → cookies → auth (session) → rateLimit → guildAccess → body.
 * Each step either lets the request through or answers it; none throws to plugin-api (which would answer 500).
 */

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Default body limit when a route sets none (plugin-api's own default is 50 MB). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** CORS for the dashboard origin only, preflights, unknown routes and methods, and the cross-site write guard. */
export function applyHeaders(request: ApiRequest, response: ApiResponse, allMethods: readonly string[]): void {
	const { config } = getApiServices();
	const method = (request.method ?? 'GET').toUpperCase();
	const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
	const methods = request.routerNode ? [...request.routerNode.methods()] : [...allMethods];
	const preflight = method === 'OPTIONS' && typeof request.headers['access-control-request-method'] === 'string';

	response.setHeader('Vary', 'Origin');
	response.setHeader('Cache-Control', 'no-store');
	response.setHeader('X-Content-Type-Options', 'nosniff');
	for (const [name, value] of Object.entries(corsHeaders(origin, config.dashboardOrigin, methods, preflight)))
		response.setHeader(name, value);

	if (method === 'OPTIONS' && !request.route?.methods.has('OPTIONS')) {
		response.setHeader('Allow', methods.join(', '));
		response.statusCode = 204;
		response.end();
		return;
	}
	if (!request.routerNode) {
		sendError(response, 'not_found');
	} else if (!request.route) {
		response.setHeader('Allow', methods.join(', '));
		sendError(response, 'method_not_allowed');
	} else if (
		isCrossSiteWrite(method, origin, config.trustedOrigins, {
			secFetchSite: headerValue(request, 'sec-fetch-site'),
			sessionCookie: cookiesOf(request).has(config.cookieName)
		})
	) {
		sendError(response, 'forbidden_origin');
	}
}

/** The request's cookies, parsed once (the headers step needs them before the cookies step runs). */
function cookiesOf(request: ApiRequest): Map<string, string> {
	const state = requestState(request);
	state.cookies ??= parseCookies(request.headers.cookie);
	return state.cookies;
}

/** Looks the session up once (a bad cookie is simply no session; routes decide whether that is a 401). */
export async function applySession(request: ApiRequest): Promise<void> {
	await resolveSession(request);
}

/** A short, non-reversible bucket name, so Redis key names never carry a session id or an address. */
function bucketOf(kind: string, value: string): string {
	return `${kind}:${createHash('sha256').update(value).digest('base64url').slice(0, 32)}`;
}

/** Counts the request against its session (or its address without one); past the limit answers 429 with Retry-After. */
export async function applyRateLimit(request: ApiRequest, response: ApiResponse): Promise<void> {
	const api = getApiServices();
	const first = request.route?.path[0];
	if (first !== undefined && api.config.rateLimitExempt.has(first)) return;
	const session = requestState(request).session;
	const bucket = session ? bucketOf('session', session.id) : bucketOf('ip', clientAddress(request, api.config.trustProxy));
	const result = await api.limiter.consume(bucket);
	const resetSeconds = Math.max(1, Math.ceil(result.resetMs / 1000));
	response.setHeader('RateLimit-Limit', String(result.limit));
	response.setHeader('RateLimit-Remaining', String(result.remaining));
	response.setHeader('RateLimit-Reset', String(resetSeconds));
	if (!result.allowed) {
		response.setHeader('Retry-After', String(resetSeconds));
		sendError(response, 'rate_limited', { retryAfter: resetSeconds });
	}
}

/** The bucket a session's requests count against (for tests and tools that inspect a limit). */
export function sessionRateLimitKey(sessionId: string): string {
	return getApiServices().limiter.key(bucketOf('session', sessionId));
}

/** Guards every route whose path has `[guild]`, even one that forgets to call {@link requireGuildManager} itself. */
export async function applyGuildAccess(request: ApiRequest, response: ApiResponse): Promise<void> {
	if (!request.route || !isGuildRoute(request.route.path)) return;
	await requireGuildManager(request, response);
}

/**
 * Reads the body of a writing request under the route's limit (64 KB unless it sets its own), counting bytes as
 * they arrive, so chunked bodies are held to it too: 413 past it. JSON (or untyped) bodies are parsed here: 400
 * `invalid_json` when they do not parse. Afterwards `request.readBody*()` and {@link jsonBody} serve the bytes read.
 */
export async function applyBody(request: ApiRequest, response: ApiResponse): Promise<void> {
	const method = (request.method ?? 'GET').toUpperCase();
	if (!WRITE_METHODS.has(method)) return;
	const limit = request.route?.maximumBodyLength ?? DEFAULT_BODY_LIMIT;
	const type = mediaType(request);
	const state = requestState(request);
	let bytes: Buffer = Buffer.alloc(0);
	if (hasBody(request)) {
		const declared = declaredLength(request);
		if (declared !== null && declared > limit) {
			response.setHeader('Connection', 'close');
			request.resume();
			return sendError(response, 'payload_too_large', { limit });
		}
		const result = await readLimitedBody(request, limit);
		if (!result.ok) {
			response.setHeader('Connection', 'close');
			if (result.reason === 'too_large') return sendError(response, 'payload_too_large', { limit });
			return sendError(response, 'invalid_request');
		}
		bytes = result.bytes;
	}
	state.body = { bytes, type };
	if (bytes.length > 0 && (type === '' || isJsonType(type))) {
		try {
			state.body.json = JSON.parse(bytes.toString('utf8'));
		} catch {
			return sendError(response, 'invalid_json');
		}
		// What no route may store (NUL, control characters, deep nesting, unsafe integers) is refused here, once.
		const fields = jsonInputProblems(state.body.json);
		if (fields) return sendError(response, 'invalid_body', { fields });
	} else if (bytes.length > 0 && type.startsWith('text/')) {
		const problem = textProblem(bytes.toString('utf8'));
		if (problem) return sendError(response, 'invalid_body', { fields: { '': [problem] } });
	}
	installBodyReaders(request, state.body);
}

/** Makes plugin-api's `readBody*()` serve the bytes the body step already read (the stream is consumed). */
function installBodyReaders(request: ApiRequest, body: { bytes: Buffer; type: string; json?: unknown }): void {
	const text = async () => body.bytes.toString('utf8');
	const json = async () => (body.json !== undefined || body.bytes.length === 0 ? body.json : JSON.parse(body.bytes.toString('utf8')));
	const formData = async () => new Response(body.bytes, { headers: { 'content-type': body.type } }).formData();
	const isForm = body.type === 'application/x-www-form-urlencoded' || body.type === 'multipart/form-data';
	Object.assign(request, {
		readBodyText: text,
		readBodyJson: json,
		readBodyFormData: formData,
		readBodyArrayBuffer: async () => body.bytes.buffer.slice(body.bytes.byteOffset, body.bytes.byteOffset + body.bytes.length),
		readBody: isForm ? formData : json
	});
}

/** The request's JSON body as parsed by the body step (`undefined` when it had none). */
export function jsonBody(request: ApiRequest): unknown {
	return requestState(request).body?.json;
}

/**
 * Validates the JSON body with a zod schema: the data, or `null` after answering 400 `invalid_body` with field errors.
 * @example
 * const body = parseBody(request, response, SettingsSchema);
 * if (!body) return;
 */
export function parseBody<T extends z.ZodType>(request: ApiRequest, response: ApiResponse, schema: T): z.infer<T> | null {
	// The body step already refused what no route may take (`__proto__` keys included), in its one walk.
	const result = schema.safeParse(jsonBody(request));
	if (result.success) return result.data;
	sendFieldErrors(response, result.error);
	return null;
}

/** Seconds a client is told to wait (`Retry-After`) while the API is not ready yet. */
export const STARTING_RETRY_AFTER_SECONDS = 1;

/** What {@link installStartupGate} returns: open it once the bot is ready. */
export interface StartupGate {
	/** Hands every request from now on to plugin-api. */
	open(): void;
	readonly isOpen: boolean;
}

/**
 * Puts a gate in front of plugin-api's request handling. plugin-api binds its port before its routes, middlewares
 * and listeners are loaded, and a request that arrives meanwhile is accepted and never answered. Until
 * {@link StartupGate.open} every request is answered at once: `GET /livez` 200, anything else 503
 * `service_unavailable` with `Retry-After`. Install it before the port binds (before login).
 */
export function installStartupGate(server: HttpServer, retryAfterSeconds = STARTING_RETRY_AFTER_SECONDS): StartupGate {
	const handlers = server.listeners('request') as ((request: unknown, response: unknown) => void)[];
	server.removeAllListeners('request');
	let open = false;
	server.on('request', (request: ApiRequest, response: ApiResponse) => {
		if (open) {
			for (const handler of handlers) handler.call(server, request, response);
			return;
		}
		answerStarting(request, response, retryAfterSeconds);
	});
	return {
		open() {
			open = true;
		},
		get isOpen() {
			return open;
		}
	};
}

function answerStarting(request: ApiRequest, response: ApiResponse, retryAfterSeconds: number): void {
	const path = (request.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
	const method = (request.method ?? 'GET').toUpperCase();
	response.setHeader('Cache-Control', 'no-store');
	response.setHeader('Vary', 'Origin');
	// The dashboard must be able to read the 503 to retry: the same CORS grant as once started (none for others).
	const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
	const dashboardOrigin = (() => {
		try {
			return getApiServices().config.dashboardOrigin;
		} catch {
			return '';
		}
	})();
	for (const [name, value] of Object.entries(corsHeaders(origin, dashboardOrigin, [method], false))) response.setHeader(name, value);
	if (path === '/livez' && (method === 'GET' || method === 'HEAD')) {
		response.json({ status: 'ok' });
		return;
	}
	// The body is not read: close the connection after answering rather than leave an unread body on it.
	if (hasBody(request)) response.setHeader('Connection', 'close');
	response.setHeader('Retry-After', String(retryAfterSeconds));
	sendError(response, 'service_unavailable', { reason: 'starting', retryAfter: retryAfterSeconds });
}
