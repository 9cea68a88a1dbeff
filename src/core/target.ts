import type { Logger } from 'pino';
import type { Env } from './env.ts';
import type { Shutdown } from './shutdown.ts';

/**
 * Where the bot meets Discord. The core never decides this itself: the composition root (src/main.ts) passes
 * it — Discord, another Discord-compatible server (`DISCORD_API_URL`), or the sandbox's emulator.
 */
export interface DiscordTarget {
	/** REST base as discord.js takes it (`…/api`); unset → Discord's own. */
	restUrl?: string;
	/** The bot token to log in with. */
	token: string;
	/** OAuth2 client secret the target accepts (the sandbox's); DISCORD_CLIENT_SECRET wins when set. */
	clientSecret?: string;
	/** True when the target's Discord side started empty with this process, so stored command hashes are stale. */
	fresh?: boolean;
	/** A Redis URL the target started for this process (the sandbox's private redis-server); wins over REDIS_URL. */
	redisUrl?: string;
	/** Lines for a person, printed once the bot is ready (where to click, what to try). */
	banner?: string;
}

/** What a {@link DiscordTargetFactory} may use: it registers its own shutdown steps. */
export interface TargetContext {
	env: Env;
	logger: Logger;
	shutdown: Shutdown;
}

/** Makes the {@link DiscordTarget} at start: the first step, before Redis and the database. */
export type DiscordTargetFactory = (context: TargetContext) => Promise<DiscordTarget>;

/** The target of a bot with a token: Discord itself, or `DISCORD_API_URL`. Loads nothing of the sandbox. */
export function tokenTarget(env: Env): DiscordTarget {
	if (!env.DISCORD_TOKEN) throw new Error('tokenTarget needs DISCORD_TOKEN');
	return { token: env.DISCORD_TOKEN, ...(env.DISCORD_API_URL ? { restUrl: env.DISCORD_API_URL.replace(/\/+$/, '') } : {}) };
}
