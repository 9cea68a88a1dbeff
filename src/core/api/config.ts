import { join, resolve } from 'node:path';
import type { Env } from '../env.ts';
import { appRoot } from '../paths.ts';
import { ProxyTrust } from './request-state.ts';

/** Facet's API defaults, in one place. Values that hosts tune come from the environment instead. */
export const DefaultApiOptions = {
	/** Name of the cookie holding the sealed session id. */
	cookieName: 'facet_session',
	/** Name of the short-lived cookie binding a login's `state` to the browser that started it. */
	stateCookieName: 'facet_oauth_state',
	/** How long an OAuth `state` may wait for its callback. */
	stateTtlSeconds: 600,
	/** OAuth2 scopes the login asks for. */
	scopes: ['identify', 'guilds'] as readonly string[],
	/** Deadline of each call to Discord's OAuth2 endpoints. */
	oauthTimeoutMs: 10_000,
	/** How long the user's own guild list (from OAuth) is reused before asking Discord again. */
	userGuildsCacheSeconds: 60,
	/** First path segments that are never rate limited (health probes call them from one address). */
	rateLimitExempt: ['livez', 'readyz', 'metrics'] as readonly string[],
	/** Prefix of every Redis key the API writes; the deployment's id follows it (see deploymentId). */
	redisPrefix: 'facet:api:'
};

/** Everything the API's services need, resolved once from the environment and the client's REST target. */
export interface ApiConfig {
	sandbox: boolean;
	/** Discord's web base, e.g. `https://discord.com` or the emulator's URL. */
	discordBaseUrl: string;
	/** `${discordBaseUrl}/api/v10`: token, revoke and `users/@me` live here. */
	restBaseUrl: string;
	/** The OAuth client id when configured; otherwise resolved from the logged-in application at request time. */
	clientId: string | null;
	clientSecret: string | null;
	/** Where browsers reach the API. */
	publicUrl: string;
	redirectUri: string;
	dashboardOrigin: string;
	/** Folder of the built dashboard served at `/`, or null when the API serves none (production: nginx does). */
	dashboardDir: string | null;
	/** Origins whose browser requests may change state (the dashboard, and the API's own origin). */
	trustedOrigins: ReadonlySet<string>;
	secureCookies: boolean;
	/** Which `X-Forwarded-*` entries are believed (`API_TRUST_PROXY`). */
	trustProxy: ProxyTrust;
	sessionTtlSeconds: number;
	rateLimit: { max: number; windowSeconds: number };
	cookieName: string;
	stateCookieName: string;
	stateTtlSeconds: number;
	scopes: readonly string[];
	oauthTimeoutMs: number;
	userGuildsCacheSeconds: number;
	/** Bound on how long lost access goes unnoticed (`API_ACCESS_RECHECK_SECONDS`, ≤ 60). */
	accessRecheckSeconds: number;
	rateLimitExempt: ReadonlySet<string>;
	redisPrefix: string;
}

/** What {@link resolveApiConfig} reads besides the environment. */
export interface ApiConfigSources {
	env: Env;
	/** The REST base the bot's client uses (`https://discord.com/api`, or the emulator's `…/api`). */
	restApi?: string;
	/** The client secret the sandbox emulator accepts. */
	sandboxClientSecret?: string;
	/**
	 * The deployment (processes sharing one database): sessions, OAuth states and rate-limit counters are its own,
	 * so two deployments on one Redis neither share sessions nor count each other's requests.
	 */
	deployment?: string;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** Builds the {@link ApiConfig}: explicit env first, then what the running client and the sandbox imply. */
export function resolveApiConfig({ env, restApi, sandboxClientSecret, deployment }: ApiConfigSources): ApiConfig {
	const sandbox = env.mode === 'sandbox';
	const discordBaseUrl = trimSlash(env.DISCORD_BASE_URL ?? trimSlash(restApi ?? 'https://discord.com/api').replace(/\/api$/, ''));
	const publicUrl = trimSlash(env.API_PUBLIC_URL ?? `http://localhost:${env.API_PORT}`);
	const dashboardOrigin = new URL(env.DASHBOARD_ORIGIN ?? publicUrl).origin;
	return {
		sandbox,
		discordBaseUrl,
		restBaseUrl: `${discordBaseUrl}/api/v10`,
		clientId: env.DISCORD_CLIENT_ID ?? null,
		clientSecret: env.DISCORD_CLIENT_SECRET ?? (sandbox ? (sandboxClientSecret ?? null) : null),
		publicUrl,
		redirectUri: `${publicUrl}/oauth/callback`,
		dashboardOrigin,
		dashboardDir: env.DASHBOARD_DIR ? resolve(env.DASHBOARD_DIR) : sandbox ? join(appRoot, 'dashboard', 'dist') : null,
		trustedOrigins: new Set([dashboardOrigin, new URL(publicUrl).origin]),
		secureCookies: publicUrl.startsWith('https:'),
		trustProxy: new ProxyTrust(env.API_TRUST_PROXY),
		sessionTtlSeconds: env.SESSION_TTL_SECONDS,
		rateLimit: { max: env.API_RATE_LIMIT_MAX, windowSeconds: env.API_RATE_LIMIT_WINDOW_SECONDS },
		cookieName: DefaultApiOptions.cookieName,
		stateCookieName: DefaultApiOptions.stateCookieName,
		stateTtlSeconds: DefaultApiOptions.stateTtlSeconds,
		scopes: DefaultApiOptions.scopes,
		oauthTimeoutMs: DefaultApiOptions.oauthTimeoutMs,
		userGuildsCacheSeconds: DefaultApiOptions.userGuildsCacheSeconds,
		accessRecheckSeconds: env.API_ACCESS_RECHECK_SECONDS,
		rateLimitExempt: new Set(DefaultApiOptions.rateLimitExempt),
		redisPrefix: deployment ? `${DefaultApiOptions.redisPrefix}${deployment}:` : DefaultApiOptions.redisPrefix
	};
}
