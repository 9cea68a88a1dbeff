import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Env } from './env.ts';
import type { GatewaySessions } from './gateway-sessions.ts';
import type { GuildDirectory } from './guild-directory.ts';
import type { GuildFactsService } from './guild-facts.ts';
import type { Health } from './health.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { CommandSync } from './plugins/command-sync.ts';
import type { PluginOwnership } from './plugins/ownership.ts';
import type { PluginService } from './plugins/service.ts';
import type { BoundedRedis } from './redis.ts';
import type { Shutdown } from './shutdown.ts';
import type { DiscordTarget } from './target.ts';
import type { WorkTracker } from './work.ts';

declare module '@sapphire/pieces' {
	interface Container {
		/** Parsed environment. */
		env: Env;
		/** The pino logger (Sapphire's `container.logger` writes into it too). */
		log: Logger;
		orm: MikroORM;
		redis: BoundedRedis;
		health: Health;
		shutdown: Shutdown;
		/** Accepted work a shutdown waits for. */
		work: WorkTracker;
		/** Per-guild plugin switches, settings and audit log. */
		plugins: PluginService;
		/** Which plugin owns a piece. */
		pluginOwnership: PluginOwnership;
		/** Application command registration (global and per guild). */
		commandSync: CommandSync;
		/** Guild-wide facts (time zone, locale, daily channel) that plugins provide and read. */
		guildFacts: GuildFactsService;
		/** Id of the deployment (processes sharing one database), for Redis keys and channels. */
		deployment: string;
		/** Where the bot connected, as the composition root made it. */
		discordTarget: DiscordTarget;
		/** Where the core finds a guild: the gateway cache in a bot process, REST in an api or worker process. */
		guildDirectory: GuildDirectory;
		/**
		 * The gateway sessions kept in Redis and their durable checkpoints; null in a process without a gateway.
		 * A plugin that holds event effects in memory registers as a participant so the checkpoint waits for them.
		 */
		gatewaySessions: GatewaySessions | null;
		/** The Prometheus registry every role serves on `/metrics`; plugins add their metrics through it. */
		metrics: MetricsRegistry;
	}
}
