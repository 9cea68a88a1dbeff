import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UserRecord } from './state.ts';

/** An issued authorization code (single use, 10 minutes). */
interface CodeGrant {
	userId: string;
	redirectUri: string;
	scope: string;
	/** The PKCE S256 `code_challenge` of the authorize request, when it sent one. */
	codeChallenge: string | null;
	expiresAt: number;
}

/** An access or refresh token and who it stands for. */
export interface TokenGrant {
	userId: string;
	scope: string;
	expiresAt: number;
}

/** Result of a token request: the JSON body and its status. */
export interface TokenResponse {
	status: number;
	body: Record<string, unknown>;
}

/** Access tokens live a week, like Discord's. */
const ACCESS_TTL_S = 604800;
const CODE_TTL_MS = 10 * 60 * 1000;

const oauthError = (status: number, error: string, description: string): TokenResponse => ({
	status,
	body: { error, error_description: description }
});

/** RFC 7636 §4.1: a verifier is 43–128 unreserved characters; Discord enforces the lower bound too. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 challenge: base64url of a SHA-256, no padding. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Checks the PKCE parameters of an authorize request as Discord does: none at all, or an S256 challenge (Discord
 * supports no other method; a missing method means `plain`, which it refuses). Returns the challenge, or why not.
 */
export function parseCodeChallenge(query: URLSearchParams): { challenge: string | null } | { error: string } {
	const challenge = query.get('code_challenge');
	const method = query.get('code_challenge_method');
	if (challenge === null) return method === null ? { challenge: null } : { error: 'Missing "code_challenge"' };
	if ((method ?? 'plain') !== 'S256') return { error: 'Unsupported "code_challenge_method"' };
	if (!S256_CHALLENGE.test(challenge)) return { error: 'Invalid "code_challenge"' };
	return { challenge };
}

/** Whether `verifier` hashes to `challenge` (S256), compared in constant time. */
function verifierMatches(verifier: string, challenge: string): boolean {
	const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
	const expected = Buffer.from(challenge);
	return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** In-memory OAuth2 authorization-code flow: codes, access tokens and refresh tokens. */
export class OAuthStore {
	readonly #codes = new Map<string, CodeGrant>();
	readonly #access = new Map<string, TokenGrant>();
	readonly #refresh = new Map<string, TokenGrant>();

	/**
	 * Issues a code for `user` to be exchanged at `/oauth2/token` with the same redirect URI, and with the verifier
	 * of `codeChallenge` when one was given.
	 */
	issueCode(user: UserRecord, redirectUri: string, scope: string, codeChallenge: string | null = null): string {
		const code = randomBytes(15).toString('base64url');
		this.#codes.set(code, { userId: user.id, redirectUri, scope, codeChallenge, expiresAt: Date.now() + CODE_TTL_MS });
		return code;
	}

	/** The grant behind a Bearer token, if it is live. */
	bearer(token: string): TokenGrant | undefined {
		const grant = this.#access.get(token);
		if (!grant || grant.expiresAt < Date.now()) return undefined;
		return grant;
	}

	/**
	 * `POST /oauth2/token`: client authentication (body or Basic), then
	 * `authorization_code` (single-use code, matching redirect_uri) or `refresh_token`.
	 */
	token(
		params: Record<string, unknown>,
		basicAuth: { id: string; secret: string } | undefined,
		clientId: string,
		clientSecret: string
	): TokenResponse {
		const str = (key: string): string | undefined => (typeof params[key] === 'string' ? (params[key] as string) : undefined);
		const id = basicAuth?.id ?? str('client_id');
		const secret = basicAuth?.secret ?? str('client_secret');
		if (id !== clientId || secret !== clientSecret) return oauthError(401, 'invalid_client', 'Invalid client credentials.');
		const grantType = str('grant_type');
		if (grantType === 'authorization_code') {
			const code = str('code');
			if (!code) return oauthError(400, 'invalid_request', 'Missing "code" in request.');
			const grant = this.#codes.get(code);
			// Codes are single use: a second exchange fails even if the first one failed on redirect_uri.
			this.#codes.delete(code);
			if (!grant || grant.expiresAt < Date.now()) return oauthError(400, 'invalid_grant', 'Invalid "code" in request.');
			if (str('redirect_uri') !== grant.redirectUri) return oauthError(400, 'invalid_grant', 'Invalid "redirect_uri" in request.');
			const verifier = str('code_verifier');
			if (grant.codeChallenge !== null) {
				// PKCE: the code is only good for whoever holds the verifier behind the authorize request's challenge.
				if (verifier === undefined) return oauthError(400, 'invalid_request', 'Missing "code_verifier"');
				if (!CODE_VERIFIER.test(verifier)) return oauthError(400, 'invalid_request', 'Invalid "code_verifier"');
				if (!verifierMatches(verifier, grant.codeChallenge)) return oauthError(400, 'invalid_grant', 'Invalid "code_verifier"');
			} else if (verifier !== undefined) {
				// A verifier for a code issued without a challenge proves nothing: refused (OAuth 2.1), never ignored.
				return oauthError(400, 'invalid_grant', 'Unexpected "code_verifier": the authorization had no "code_challenge"');
			}
			return { status: 200, body: this.#issueTokens(grant.userId, grant.scope) };
		}
		if (grantType === 'refresh_token') {
			const refresh = str('refresh_token');
			const grant = refresh ? this.#refresh.get(refresh) : undefined;
			if (!refresh || !grant) return oauthError(400, 'invalid_grant', 'Invalid "refresh_token" in request.');
			this.#refresh.delete(refresh);
			return { status: 200, body: this.#issueTokens(grant.userId, grant.scope) };
		}
		return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type.');
	}

	/** `POST /oauth2/token/revoke`: forgets an access or refresh token (unknown tokens are fine, per RFC 7009). */
	revoke(token: string): void {
		this.#access.delete(token);
		this.#refresh.delete(token);
	}

	/** Forgets every grant. */
	clear(): void {
		this.#codes.clear();
		this.#access.clear();
		this.#refresh.clear();
	}

	#issueTokens(userId: string, scope: string): Record<string, unknown> {
		const accessToken = randomBytes(22).toString('base64url');
		const refreshToken = randomBytes(22).toString('base64url');
		const expiresAt = Date.now() + ACCESS_TTL_S * 1000;
		this.#access.set(accessToken, { userId, scope, expiresAt });
		this.#refresh.set(refreshToken, { userId, scope, expiresAt: Number.POSITIVE_INFINITY });
		return { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TTL_S, refresh_token: refreshToken, scope };
	}
}

const escapeHtml = (text: string): string =>
	text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The consent page without `login_as`: one link per sandbox person, each approving as them. */
export function consentPage(users: UserRecord[], query: URLSearchParams, appName: string): string {
	const items = users
		.map((user) => {
			const params = new URLSearchParams(query);
			params.set('login_as', user.id);
			return `<li><a href="?${escapeHtml(params.toString())}">Log in as <b>${escapeHtml(user.globalName ?? user.username)}</b> (@${escapeHtml(user.username)})</a></li>`;
		})
		.join('\n');
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize ${escapeHtml(appName)} — Discord sandbox</title></head>
<body><h1>${escapeHtml(appName)} wants to access your account</h1>
<p>This is the offline Discord sandbox. Pick who you are:</p>
<ul>
${items}
</ul></body></html>`;
}
