import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Thrown when Discord's OAuth2 answers unexpectedly. Carries the step and status, never a token or code. */
export class OAuthError extends Error {
	public readonly step: 'token' | 'user' | 'guilds' | 'revoke';
	public readonly status: number | null;

	public constructor(step: OAuthError['step'], status: number | null, detail: string) {
		super(`Discord OAuth2 ${step} failed (${status ?? 'no response'}): ${detail}`);
		this.name = 'OAuthError';
		this.step = step;
		this.status = status;
	}
}

const TokenSchema = z.object({
	access_token: z.string().min(1),
	token_type: z.string(),
	expires_in: z.number().positive(),
	scope: z.string().optional()
});

const UserSchema = z.object({
	id: z.string().regex(/^\d{1,20}$/),
	username: z.string(),
	global_name: z.string().nullable().optional(),
	avatar: z.string().nullable().optional()
});

const UserGuildsSchema = z.array(
	z
		.object({
			id: z.string().regex(/^\d{1,20}$/),
			name: z.string().optional(),
			icon: z.string().nullable().optional(),
			owner: z.boolean().optional(),
			permissions: z
				.string()
				.regex(/^\d{1,20}$/)
				.optional()
		})
		.loose()
);

/** One guild of the user's own list, as their token sees it: what to offer (an invite), never proof of a right. */
export interface OAuthGuild {
	id: string;
	name: string;
	icon: string | null;
	owner: boolean;
	/** The user's permissions there, as Discord's decimal bitfield. */
	permissions: string;
}

/** The token endpoint's answer, reduced to what Facet keeps. */
export interface OAuthToken {
	accessToken: string;
	expiresInSeconds: number;
	scopes: string[];
}

/** A Discord user as `users/@me` describes them. */
export interface OAuthUser {
	id: string;
	username: string;
	globalName: string | null;
	avatar: string | null;
}

/** Settings of {@link DiscordOAuth}. */
export interface DiscordOAuthOptions {
	discordBaseUrl: string;
	restBaseUrl: string;
	clientId: string;
	clientSecret: string;
	redirectUri: string;
	scopes: readonly string[];
	timeoutMs: number;
}

/** The PKCE S256 challenge of a verifier (RFC 7636 §4.2): base64url of its SHA-256, without padding. */
export function pkceChallenge(verifier: string): string {
	return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Discord's OAuth2 authorization-code flow with PKCE (S256), against a configurable base (Discord itself or the emulator). */
export class DiscordOAuth {
	readonly #options: DiscordOAuthOptions;

	public constructor(options: DiscordOAuthOptions) {
		this.#options = options;
	}

	/**
	 * The URL a browser is sent to, carrying the S256 challenge of `verifier` (a code intercepted on its way back
	 * is worthless without the verifier); `extra` adds query parameters (the sandbox's `login_as`).
	 */
	public authorizeUrl(state: string, verifier: string, extra: Record<string, string> = {}): string {
		const url = new URL(`${this.#options.discordBaseUrl}/oauth2/authorize`);
		url.searchParams.set('client_id', this.#options.clientId);
		url.searchParams.set('redirect_uri', this.#options.redirectUri);
		url.searchParams.set('response_type', 'code');
		url.searchParams.set('scope', this.#options.scopes.join(' '));
		url.searchParams.set('state', state);
		url.searchParams.set('code_challenge', pkceChallenge(verifier));
		url.searchParams.set('code_challenge_method', 'S256');
		for (const [key, value] of Object.entries(extra)) url.searchParams.set(key, value);
		return url.toString();
	}

	/** Trades an authorization code for an access token, proving with `verifier` that this server asked for the code. */
	public async exchangeCode(code: string, verifier: string): Promise<OAuthToken> {
		const body = new URLSearchParams({
			client_id: this.#options.clientId,
			client_secret: this.#options.clientSecret,
			grant_type: 'authorization_code',
			code,
			redirect_uri: this.#options.redirectUri,
			code_verifier: verifier
		});
		const json = await this.#call('token', 'oauth2/token', {
			method: 'POST',
			body,
			headers: { 'content-type': 'application/x-www-form-urlencoded' }
		});
		const token = TokenSchema.safeParse(json);
		if (!token.success) throw new OAuthError('token', 200, 'unexpected token response');
		return {
			accessToken: token.data.access_token,
			expiresInSeconds: token.data.expires_in,
			scopes: (token.data.scope ?? '').split(' ').filter(Boolean)
		};
	}

	/** The user the token belongs to. */
	public async fetchUser(accessToken: string): Promise<OAuthUser> {
		const json = await this.#call('user', 'users/@me', { headers: { authorization: `Bearer ${accessToken}` } });
		const user = UserSchema.safeParse(json);
		if (!user.success) throw new OAuthError('user', 200, 'unexpected user response');
		return { id: user.data.id, username: user.data.username, globalName: user.data.global_name ?? null, avatar: user.data.avatar ?? null };
	}

	/** The guilds the user is in, as the user's token sees them. Never proof of any right. */
	public async fetchUserGuilds(accessToken: string): Promise<OAuthGuild[]> {
		const json = await this.#call('guilds', 'users/@me/guilds', { headers: { authorization: `Bearer ${accessToken}` } });
		const guilds = UserGuildsSchema.safeParse(json);
		if (!guilds.success) throw new OAuthError('guilds', 200, 'unexpected guilds response');
		return guilds.data.map((guild) => ({
			id: guild.id,
			name: guild.name ?? guild.id,
			icon: guild.icon ?? null,
			owner: guild.owner ?? false,
			permissions: guild.permissions ?? '0'
		}));
	}

	/** Ids of the guilds the user is in, as the user's token sees them. Never proof of any right. */
	public async fetchUserGuildIds(accessToken: string): Promise<string[]> {
		return (await this.fetchUserGuilds(accessToken)).map((guild) => guild.id);
	}

	/** Revokes an access token at Discord (logout). */
	public async revoke(accessToken: string): Promise<void> {
		const body = new URLSearchParams({
			client_id: this.#options.clientId,
			client_secret: this.#options.clientSecret,
			token: accessToken,
			token_type_hint: 'access_token'
		});
		await this.#call('revoke', 'oauth2/token/revoke', {
			method: 'POST',
			body,
			headers: { 'content-type': 'application/x-www-form-urlencoded' }
		});
	}

	async #call(step: OAuthError['step'], path: string, init: RequestInit): Promise<unknown> {
		let response: Response;
		try {
			response = await fetch(`${this.#options.restBaseUrl}/${path}`, {
				...init,
				redirect: 'error',
				signal: AbortSignal.timeout(this.#options.timeoutMs)
			});
		} catch (error) {
			// The message of a network error names the host at most, never the body we sent.
			throw new OAuthError(step, null, (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message);
		}
		const text = await response.text();
		if (!response.ok) {
			// Discord's error bodies (`{error: 'invalid_grant'}`) carry no secret; keep only the identifier.
			let reason = 'error';
			try {
				const parsed = JSON.parse(text) as { error?: unknown };
				if (typeof parsed.error === 'string') reason = parsed.error.slice(0, 64);
			} catch {
				// Not JSON: the status says enough.
			}
			throw new OAuthError(step, response.status, reason);
		}
		if (text.length === 0) return null;
		try {
			return JSON.parse(text);
		} catch {
			throw new OAuthError(step, response.status, 'response is not JSON');
		}
	}
}
