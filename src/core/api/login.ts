import { timingSafeEqual } from 'node:crypto';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { clearSessionCookie, resolveSession } from './access.ts';
import { appendSetCookie, parseCookies, serializeCookie } from './cookies.ts';
import { OAuthError } from './discord-oauth.ts';
import { sendError } from './errors.ts';
import { isSecureRequest, requestState } from './request-state.ts';
import { randomId } from './seal.ts';
import { getApiServices } from './services.ts';
import { safeNextPath } from './sessions.ts';

/** Constant-time equality of two short strings (a state compared against the browser's binding). */
function sameText(a: string, b: string): boolean {
	const left = Buffer.from(a);
	const right = Buffer.from(b);
	return left.length === right.length && timingSafeEqual(left, right);
}

/** Who the sandbox's authorize page may log in as without a click: a user id or a username. */
const LOGIN_AS = /^[\w.-]{1,32}$/;

function redirect(response: ApiResponse, location: string): void {
	response.statusCode = 302;
	response.setHeader('Location', location);
	response.end();
}

/**
 * `GET /oauth/login[?next=/path]`: mints a single-use `state` and a PKCE verifier (Redis, 10 min), binds the state to
 * this browser with a short-lived sealed cookie, and sends the browser to Discord's authorize page with the verifier's
 * S256 challenge. In the sandbox only,
 * `login_as` is passed through so tests and people can skip the emulator's consent page.
 */
export async function startLogin(request: ApiRequest, response: ApiResponse): Promise<void> {
	const api = getApiServices();
	const oauth = api.oauth();
	if (!oauth || !api.stateSealer) return sendError(response, 'oauth_unavailable');
	// 32 random bytes in base64url: 43 characters, the shortest verifier RFC 7636 (and Discord) accept.
	const verifier = randomId();
	const state = await api.states.create(safeNextPath(request.query.next), api.config.stateTtlSeconds, verifier);
	const secure = isSecureRequest(request, api.config.secureCookies, api.config.trustProxy);
	appendSetCookie(
		response,
		serializeCookie(api.config.stateCookieName, api.stateSealer.seal(state), {
			maxAgeSeconds: api.config.stateTtlSeconds,
			secure,
			path: '/oauth'
		})
	);
	const extra: Record<string, string> = {};
	const loginAs = request.query.login_as;
	if (api.config.sandbox && typeof loginAs === 'string' && LOGIN_AS.test(loginAs)) extra.login_as = loginAs;
	redirect(response, oauth.authorizeUrl(state, verifier, extra));
}

/**
 * `GET /oauth/callback?code&state`: refuses a missing, unknown, reused or foreign `state` (400 `invalid_state`,
 * nothing created; a state that is not this browser's leaves its login in progress untouched), exchanges the code
 * with the login's PKCE verifier, reads `users/@me`, stores a session in Redis and sets the sealed session cookie,
 * then sends the browser to the dashboard.
 */
export async function finishLogin(request: ApiRequest, response: ApiResponse): Promise<void> {
	const api = getApiServices();
	const { code, state, error } = request.query;
	const cookies = requestState(request).cookies ?? parseCookies(request.headers.cookie);
	const bound = cookies.get(api.config.stateCookieName);
	const secure = isSecureRequest(request, api.config.secureCookies, api.config.trustProxy);
	// Only this browser's own state may end its login. Anything else — a cross-site image, a link with a made-up or
	// someone else's state — is refused without touching the binding cookie or any stored state, so a login in
	// progress survives it.
	const boundState = bound ? api.stateSealer?.open(bound) : null;
	if (typeof state !== 'string' || !boundState || !sameText(boundState, state)) return sendError(response, 'invalid_state');
	// From here the binding cookie and the state are spent whatever happens next (single use, even on refusal).
	appendSetCookie(response, serializeCookie(api.config.stateCookieName, '', { maxAgeSeconds: 0, secure, path: '/oauth' }));
	const saved = await api.states.consume(state);
	if (!saved) return sendError(response, 'invalid_state');

	const landing = new URL(saved.next, api.config.dashboardOrigin);
	if (typeof error === 'string' || typeof code !== 'string' || !code) {
		landing.searchParams.set('login_error', typeof error === 'string' && /^[a-z_]{1,40}$/.test(error) ? error : 'invalid_request');
		return redirect(response, landing.toString());
	}
	const oauth = api.oauth();
	if (!oauth || !api.sealer) return sendError(response, 'oauth_unavailable');

	let token: Awaited<ReturnType<typeof oauth.exchangeCode>>;
	let user: Awaited<ReturnType<typeof oauth.fetchUser>>;
	try {
		token = await oauth.exchangeCode(code, saved.verifier);
		user = await oauth.fetchUser(token.accessToken);
	} catch (caught) {
		if (!(caught instanceof OAuthError)) throw caught;
		// Step and status only: the code, the token and Discord's body stay out of the log.
		api.logger.warn({ step: caught.step, status: caught.status }, 'dashboard login failed at Discord');
		return sendError(response, 'oauth_failed');
	}

	// A login replaces whatever session this browser had (no session fixation).
	const previous = await resolveSession(request);
	if (previous) await api.sessions.delete(previous.id);

	const ttl = Math.max(60, Math.min(api.config.sessionTtlSeconds, Math.floor(token.expiresInSeconds)));
	const session = await api.sessions.create(
		{ userId: user.id, username: user.username, globalName: user.globalName, avatar: user.avatar, accessToken: token.accessToken },
		ttl
	);
	appendSetCookie(response, serializeCookie(api.config.cookieName, api.sealer.seal(session.id), { maxAgeSeconds: ttl, secure }));
	api.logger.info({ userId: user.id, ttlSeconds: ttl }, 'dashboard login');
	redirect(response, landing.toString());
}

/**
 * `POST /oauth/logout`: deletes the server-side session (the cookie is worthless from then on, everywhere),
 * clears the cookie and revokes the OAuth token at Discord (best effort). 204 also without a session.
 */
export async function logout(request: ApiRequest, response: ApiResponse): Promise<void> {
	const api = getApiServices();
	const session = await resolveSession(request);
	if (requestState(request).sessionCookieSent) clearSessionCookie(request, response);
	if (session) {
		await api.sessions.delete(session.id);
		await api.forgetSession(session.id);
		api.logger.info({ userId: session.userId }, 'dashboard logout');
		const oauth = api.oauth();
		if (oauth) {
			await oauth.revoke(session.accessToken).catch((caught: unknown) => {
				const step = caught instanceof OAuthError ? { step: caught.step, status: caught.status } : {};
				api.logger.warn(step, 'revoking the OAuth token at Discord failed; the session is gone anyway');
			});
		}
	}
	response.statusCode = 204;
	response.end();
}
