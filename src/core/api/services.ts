import { randomBytes } from 'node:crypto';
import { container } from '@sapphire/framework';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Env } from '../env.ts';
import { type ApiConfig, resolveApiConfig } from './config.ts';
import { DiscordOAuth, type OAuthGuild } from './discord-oauth.ts';
import { RateLimiter } from './rate-limit.ts';
import { Sealer } from './seal.ts';
import { OAuthStateStore, type Session, SessionStore } from './sessions.ts';

/** What {@link ApiServices} is built from. */
export interface ApiServicesOptions {
	env: Env;
	redis: Redis;
	logger: Logger;
	/** The REST base the bot's client uses; the OAuth base is derived from it unless DISCORD_BASE_URL is set. */
	restApi?: string;
	/** The deployment's id: the API's Redis keys are its own. */
	deployment?: string;
	/** The client secret the Discord target accepts (the sandbox's own); DISCORD_CLIENT_SECRET wins. */
	targetClientSecret?: string;
	/** Resolves the OAuth client id when DISCORD_CLIENT_ID is unset (the logged-in application's id). */
	applicationId?: () => string | null | undefined;
}

/** The dashboard API's services: configuration, sessions, OAuth states, rate limits, cookie sealing, Discord OAuth2. */
export class ApiServices {
	public readonly config: ApiConfig;
	public readonly sessions: SessionStore;
	public readonly states: OAuthStateStore;
	public readonly limiter: RateLimiter;
	/** `null` when no key is available (Discord mode without SESSION_SECRET): every login answers 503. */
	public readonly sealer: Sealer | null;
	/** Seals the login-binding cookie (the OAuth `state` this browser started with); same key, another purpose. */
	public readonly stateSealer: Sealer | null;
	public readonly redis: Redis;
	public readonly logger: Logger;
	readonly #applicationId: () => string | null | undefined;

	public constructor(options: ApiServicesOptions) {
		this.config = resolveApiConfig({
			env: options.env,
			restApi: options.restApi,
			sandboxClientSecret: options.targetClientSecret,
			deployment: options.deployment
		});
		this.redis = options.redis;
		this.logger = options.logger;
		this.#applicationId = options.applicationId ?? (() => null);
		this.sessions = new SessionStore(options.redis, this.config.redisPrefix);
		this.states = new OAuthStateStore(options.redis, this.config.redisPrefix);
		this.limiter = new RateLimiter(options.redis, this.config.redisPrefix, this.config.rateLimit);
		let secret: string | Buffer | null = options.env.SESSION_SECRET ?? null;
		if (!secret && this.config.sandbox) {
			secret = randomBytes(32);
			options.logger.warn(
				'SESSION_SECRET is unset: sealing session cookies with a random key made for this process (sandbox); sessions end when it stops'
			);
		} else if (!secret) {
			options.logger.warn('SESSION_SECRET is unset: the dashboard login is disabled (answers 503) until it is set');
		}
		this.sealer = secret ? new Sealer(secret, 'session-cookie') : null;
		this.stateSealer = secret ? new Sealer(secret, 'oauth-state-cookie') : null;
		if (!this.config.sandbox && !this.config.clientSecret) {
			options.logger.warn('DISCORD_CLIENT_SECRET is unset: the dashboard login is disabled (answers 503) until it is set');
		}
	}

	/** The OAuth2 client, or `null` while something it needs (client id, secret, sealing key) is missing. */
	public oauth(): DiscordOAuth | null {
		const clientId = this.config.clientId ?? this.#applicationId() ?? null;
		if (!clientId || !this.config.clientSecret || !this.sealer) return null;
		return new DiscordOAuth({
			discordBaseUrl: this.config.discordBaseUrl,
			restBaseUrl: this.config.restBaseUrl,
			clientId,
			clientSecret: this.config.clientSecret,
			redirectUri: this.config.redirectUri,
			scopes: this.config.scopes,
			timeoutMs: this.config.oauthTimeoutMs
		});
	}

	/**
	 * Ids of the guilds the session's user is in, from their OAuth token, cached briefly in Redis.
	 * Used only to narrow which guilds to check; the right to manage one is always decided from the bot's view.
	 */
	public async userGuildIds(session: Session): Promise<string[]> {
		return (await this.userGuilds(session)).map((guild) => guild.id);
	}

	/**
	 * The guilds of the session's user as their OAuth token lists them (name, icon, owner, permissions), cached
	 * briefly in Redis. Only ever used to narrow candidates or to offer an invite, never to grant anything.
	 */
	public async userGuilds(session: Session): Promise<OAuthGuild[]> {
		const key = `${this.config.redisPrefix}user-guilds:${session.id}`;
		const cached = await this.redis.get(key);
		if (cached !== null) {
			try {
				const guilds = JSON.parse(cached) as unknown;
				if (Array.isArray(guilds) && guilds.every((guild) => typeof guild?.id === 'string' && typeof guild.permissions === 'string'))
					return guilds as OAuthGuild[];
			} catch {
				// Fall through and ask Discord again.
			}
		}
		const oauth = this.oauth();
		if (!oauth) return [];
		const guilds = await oauth.fetchUserGuilds(session.accessToken);
		await this.redis.set(key, JSON.stringify(guilds), 'EX', this.config.userGuildsCacheSeconds);
		return guilds;
	}

	/** Forgets what was cached for a session (on logout). */
	public async forgetSession(sessionId: string): Promise<void> {
		await this.redis.del(`${this.config.redisPrefix}user-guilds:${sessionId}`);
	}
}

declare module '@sapphire/pieces' {
	interface Container {
		/** The dashboard API's services (sessions, OAuth, rate limits); made on first use by {@link getApiServices}. */
		api?: ApiServices;
	}
}

/**
 * The process' {@link ApiServices}, built on first use from the container (env, Redis, logger, client),
 * so no boot step is required; boot may also assign `container.api` itself.
 */
export function getApiServices(): ApiServices {
	if (container.api) return container.api;
	const client = container.client;
	const restApi = (client?.options.rest as { api?: string } | undefined)?.api;
	container.api = new ApiServices({
		env: container.env,
		redis: container.redis,
		logger: container.log.child({ source: 'api' }),
		restApi,
		targetClientSecret: container.discordTarget?.clientSecret,
		deployment: container.deployment,
		applicationId: () => container.client?.application?.id ?? container.client?.user?.id ?? null
	});
	return container.api;
}
