import { ApplicationCommandRegistries, LogLevel, RegisterBehavior, SapphireClient } from '@sapphire/framework';
import '@sapphire/plugin-api/register';
import '@sapphire/plugin-scheduled-tasks/register';
import { container } from '@sapphire/framework';
import type { ScheduledTaskHandler } from '@sapphire/plugin-scheduled-tasks';
import { GatewayIntentBits, type IIdentifyThrottler, Options, Partials, SimpleShardingStrategy } from 'discord.js';
import type { Logger } from 'pino';
import { type Env, holdsGateway, servesApi } from './env.ts';
import type { GatewayManager } from './gateway-sessions.ts';
import type { GatewayWatch } from './gateway-watch.ts';
import { codeRoot } from './paths.ts';
import { installPieceBundle } from './piece-bundle.ts';
import type { PluginManifest } from './plugins/manifest.ts';
import { emitReplayedJoins } from './replayed-joins.ts';
import { PinoSapphireLogger } from './sapphire-logger.ts';

/** Only what Facet's features read: guild structure, members, messages (and their length), reactions, voice. */
export const FacetIntents = [
	GatewayIntentBits.Guilds,
	GatewayIntentBits.GuildMembers,
	GatewayIntentBits.GuildMessages,
	GatewayIntentBits.GuildMessageReactions,
	GatewayIntentBits.GuildVoiceStates,
	GatewayIntentBits.MessageContent
];

/** Where the client connects: real Discord, or another REST base (the sandbox's); and the Redis its tasks use. */
export interface ClientTarget {
	restUrl?: string;
	redisUrl?: string;
}

/** BullMQ wants ioredis options, not a URL. */
export function redisConnectionOptions(url: string) {
	const parsed = new URL(url);
	return {
		host: parsed.hostname,
		port: Number(parsed.port || 6379),
		username: parsed.username || undefined,
		password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
		db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
		tls: parsed.protocol === 'rediss:' ? {} : undefined,
		// BullMQ workers need blocking commands that never time out.
		maxRetriesPerRequest: null
	};
}

/** What a bot process adds to the gateway manager discord.js builds. */
export interface GatewayHooks {
	attach?: (manager: GatewayManager) => void;
	buildIdentifyThrottler?: (manager: GatewayManager) => IIdentifyThrottler | Promise<IIdentifyThrottler>;
}

/** Builds the Sapphire client with lean caches: Facet never needs message history or presences. */
export function createClient(
	env: Env,
	logger: Logger,
	target: ClientTarget,
	plugins: readonly PluginManifest[],
	/** Logs the gateway's disconnects, resumes and errors (see gateway-watch.ts). */
	gatewayWatch?: GatewayWatch,
	/** Gateway hooks of a bot process: session persistence (sees the manager first) and the identify throttler. */
	gateway?: GatewayHooks
): SapphireClient {
	// The production build's pieces come from one module (empty from the sources): before the stores are made.
	installPieceBundle(() => import('./bundled-pieces.ts').then((module) => module.bundledPieces));
	// One PUT per scope instead of a request per command; identical sets are skipped by Sapphire.
	ApplicationCommandRegistries.setDefaultBehaviorWhenNotIdentical(RegisterBehavior.BulkOverwrite);
	const client = new SapphireClient({
		intents: FacetIntents,
		partials: [Partials.Message, Partials.Reaction, Partials.Channel, Partials.GuildMember, Partials.User],
		baseUserDirectory: codeRoot,
		loadMessageCommandListeners: false,
		loadDefaultErrorListeners: true,
		logger: { instance: new PinoSapphireLogger(logger), level: LogLevel.Info },
		makeCache: Options.cacheWithLimits({
			...Options.DefaultMakeCacheSettings,
			MessageManager: 0,
			PresenceManager: 0,
			ReactionManager: 0,
			ReactionUserManager: 0,
			ThreadMemberManager: 0,
			GuildEmojiManager: 0,
			GuildStickerManager: 0,
			GuildInviteManager: 0,
			GuildScheduledEventManager: 0,
			StageInstanceManager: 0,
			AutoModerationRuleManager: 0
		}),
		rest: target.restUrl ? { api: target.restUrl } : {},
		...shardOptions(env),
		ws: {
			...(gatewayWatch || gateway?.attach
				? {
						buildStrategy: (manager: GatewayManager) => {
							gateway?.attach?.(manager);
							return gatewayWatch ? gatewayWatch.buildStrategy(manager) : new SimpleShardingStrategy(manager);
						}
					}
				: {}),
			...(gateway?.buildIdentifyThrottler ? { buildIdentifyThrottler: gateway.buildIdentifyThrottler } : {})
		},
		tasks: { queue: env.TASKS_QUEUE, bull: { connection: redisConnectionOptions(target.redisUrl ?? env.REDIS_URL) } },
		api: {
			prefix: '',
			listenOptions: { port: env.API_PORT, host: env.API_HOST },
			// Only the roles that serve HTTP bind the API port (the others serve /livez, /readyz and /metrics on OPS_PORT).
			automaticallyConnect: servesApi(env.FACET_ROLE),
			maximumBodyLength: 64 * 1024
		}
	});
	// The api and scheduled-tasks stores exist only now (postInitialization): register the folders again so
	// they are reached, then each plugin's folder, whose piece folders are named after the stores.
	client.stores.registerPath(codeRoot);
	for (const plugin of plugins) client.stores.registerPath(plugin.directory);
	removeSapphireCommandRegistration(client);
	emitReplayedJoins(client);
	return client;
}

/**
 * Sapphire's `CoreReady` listener pushes every command globally on ready. Facet's CommandSync owns
 * registration (global core commands, per-guild plugin commands), so that virtual piece is dropped before
 * it loads. It cannot be replaced by a piece of the same name: a replaced `once` listener stays attached.
 */
function removeSapphireCommandRegistration(client: SapphireClient): void {
	const store = client.stores.get('listeners');
	const symbol = Object.getOwnPropertySymbols(store).find((s) => s.description === '@sapphire/pieces:ManuallyRegisteredPieces');
	const manual = symbol ? (Reflect.get(store, symbol) as Map<string, unknown> | undefined) : undefined;
	if (!manual?.delete('CoreReady')) {
		throw new Error("Sapphire's CoreReady listener was not found: @sapphire/framework changed; update removeSapphireCommandRegistration");
	}
}

/** discord.js' `shards`/`shardCount` for this process: SHARD_IDS of SHARD_COUNT, every shard of SHARD_COUNT, or Discord's count. */
export function shardOptions(env: Env): { shards?: number[] | 'auto'; shardCount?: number } {
	if (!holdsGateway(env.FACET_ROLE) || env.SHARD_COUNT === undefined) return {};
	if (env.SHARD_COUNT === 'auto') return { shards: 'auto' };
	const count = env.SHARD_COUNT;
	return { shards: env.SHARD_IDS ?? Array.from({ length: count }, (_, id) => id), shardCount: count };
}

/**
 * For the roles that do not run the queues (`bot`, `api`): the scheduled-tasks plugin starts a BullMQ worker as the
 * client is built, which would take repeated jobs and run them over this process's guilds only. It is closed before
 * any piece is loaded (a job it took meanwhile finds no task to run), and `container.tasks` keeps the calls the core
 * and Sapphire make: repeated jobs are scheduled by the worker role, one-off jobs are refused loudly.
 */
export async function closeTaskWorker(): Promise<void> {
	const handler = container.tasks;
	await handler.close();
	const queueless = {
		queue: handler.queue,
		options: handler.options,
		createRepeated: async () => undefined,
		create: async () => {
			throw new Error('this process does not run the task queue (FACET_ROLE); a worker process schedules tasks');
		},
		close: async () => undefined
	};
	container.tasks = queueless as unknown as ScheduledTaskHandler;
}
