import './container.ts';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { container, type SapphireClient } from '@sapphire/framework';
import { Events, GatewayDispatchEvents, RESTEvents, Routes, Status } from 'discord.js';
import type { Logger } from 'pino';
import { installStartupGate } from './api/pipeline.ts';
import { closeTaskWorker, createClient, shardOptions } from './client.ts';
import { createOrmConfig } from './database/config.ts';
import { type EmbeddedDatabase, startEmbeddedDatabase } from './database/embedded.ts';
import { registerDatabaseErrors } from './database/errors.ts';
import { migrateUnlimited, PendingMigrationsError, pendingMigrations } from './database/migrations.ts';
import { databaseRoundTrip } from './database/timeouts.ts';
import { type Env, holdsGateway, keepsSessions, runsQueues, servesApi } from './env.ts';
import { GatewaySessions } from './gateway-sessions.ts';
import { GatewayWatch } from './gateway-watch.ts';
import { GuildDirectory } from './guild-directory.ts';
import { GuildFactsService } from './guild-facts.ts';
import { Health } from './health.ts';
import { SessionStartGuard } from './identify.ts';
import { installListenerRunner } from './listener-runner.ts';
import { compactAfterStart } from './memory.ts';
import { collectProcessMetrics, metrics } from './metrics.ts';
import { startOpsServer } from './ops.ts';
import { CommandSync } from './plugins/command-sync.ts';
import { installPluginGate, type PluginGateOptions } from './plugins/gate.ts';
import type { PluginManifest } from './plugins/manifest.ts';
import { PluginOwnership } from './plugins/ownership.ts';
import { PluginService } from './plugins/service.ts';
import { type BoundedRedis, connectRedis } from './redis.ts';
import { Shutdown } from './shutdown.ts';
import type { DiscordTarget, DiscordTargetFactory } from './target.ts';
import { WorkTracker } from './work.ts';

/**
 * Names the deployment for Redis channels: processes sharing a database are one deployment. Derived from the
 * database's host, port and name (never its credentials), or the embedded database's folder.
 */
export function deploymentId(env: Env): string {
	let identity = `embedded:${resolve(env.DATA_DIR)}`;
	if (env.DATABASE_URL) {
		const url = new URL(env.DATABASE_URL);
		identity = `${url.hostname}:${url.port || 5432}${url.pathname}`;
	}
	return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

const gatedSkips = metrics.counter(
	'facet_plugin_gate_skips_total',
	'Plugin listener events and task runs the core held back because the plugin is off',
	{ labelNames: ['plugin', 'kind'] }
);
const commandRuns = metrics.counter('facet_commands_total', 'Slash commands run, by command and result', {
	labelNames: ['command', 'result']
});
const rest429 = metrics.counter('facet_rest_429_total', 'REST answers 429 (rate limited) from Discord, by route and scope', {
	labelNames: ['route', 'scope']
});
const taskFailures = metrics.counter('facet_task_failures_total', 'Scheduled task runs that threw, by task', { labelNames: ['task'] });

/** Default ops port of the roles that bind no API port (`bot`, `worker`) when OPS_PORT is unset. */
export const DEFAULT_OPS_PORT = 8788;

/** What {@link startFacet} started, for the entry point and tests. */
export interface FacetHandle<Target extends DiscordTarget = DiscordTarget> {
	client: SapphireClient;
	orm: MikroORM;
	redis: BoundedRedis;
	/** Where the bot connected, as the composition root made it. */
	target: Target;
	embedded: EmbeddedDatabase | null;
	shutdown: Shutdown;
	/** Milliseconds from the call to the gateway being ready. */
	readyMs: number;
	/** Where those milliseconds went, phase by phase in start order (logged with 'Facet is ready'). */
	phasesMs: Record<string, number>;
}

/** Times the start's phases: each mark closes the phase that ran since the previous one. */
function phaseClock(started: number) {
	const phasesMs: Record<string, number> = {};
	let last = started;
	return {
		phasesMs,
		mark(phase: string) {
			const at = performance.now();
			phasesMs[phase] = Math.round(at - last);
			last = at;
		}
	};
}

/** Options for {@link startFacet}: the core is given its plugins and its Discord; it names neither. */
export interface StartOptions<Target extends DiscordTarget = DiscordTarget> {
	env: Env;
	logger: Logger;
	/** The shutdown sequence to register steps in; a caller that handles signals during the start passes its own. */
	shutdown?: Shutdown;
	/** Every plugin to load, in load order (see assemblePlugins). */
	plugins: readonly PluginManifest[];
	/** Where to connect, or how to make it (called first, so what it starts is stopped last). */
	discord: Target | ((...args: Parameters<DiscordTargetFactory>) => Promise<Target>);
}

/** How long the shutdown waits for the database pool to close before it goes on with the remaining steps. */
const DATABASE_CLOSE_MS = 2_000;

/**
 * Starts everything in dependency order: the Discord target, Redis, the database (embedded when no
 * DATABASE_URL), migrations, then the client and the API. Every started part registers its own shutdown step,
 * so a failure half-way still cleans up.
 */
export async function startFacet<Target extends DiscordTarget>({
	env,
	logger,
	plugins: given,
	discord,
	shutdown = new Shutdown(logger, env.SHUTDOWN_TIMEOUT_MS)
}: StartOptions<Target>): Promise<FacetHandle<Target>> {
	const started = performance.now();
	const phases = phaseClock(started);
	const manifests = [...given];
	const health = new Health();
	const work = new WorkTracker();
	const role = env.FACET_ROLE;
	const gateway = holdsGateway(role);
	collectProcessMetrics();
	Object.assign(container, { env, log: logger, health, shutdown, work, metrics, gatewaySessions: null });

	try {
		const target = typeof discord === 'function' ? await discord({ env, logger, shutdown }) : discord;
		container.discordTarget = target;
		phases.mark('target');
		const redis = await connectRedis(target.redisUrl ?? env.REDIS_URL, logger);
		shutdown.add('redis', async () => {
			await redis.quit().catch(() => redis.disconnect());
		});
		// A round trip, not the socket state: a stalled Redis keeps a 'ready' socket while answering nothing.
		health.add({ name: 'redis', check: async () => (await redis.ping()) === 'PONG' });
		// Every role serves /livez, /readyz and /metrics on its own port; `bot` and `worker` bind no other.
		const opsPort = env.OPS_PORT ?? (servesApi(role) ? null : DEFAULT_OPS_PORT);
		if (opsPort !== null) {
			const ops = await startOpsServer({ port: opsPort, host: env.API_HOST, health, metricsToken: env.METRICS_TOKEN });
			logger.info({ port: ops.port, role }, `ops endpoints (/livez, /readyz, /metrics) on port ${ops.port}`);
			shutdown.add('ops server', () => ops.close());
		}
		phases.mark('redis');

		let embedded: EmbeddedDatabase | null = null;
		if (!env.DATABASE_URL) {
			embedded = await startEmbeddedDatabase({ dataDir: `${env.DATA_DIR}/pglite` });
			// `hostPid`, not `pid`: every log line already carries this process's pid under that key. The URL has no
			// password (the socket listens on 127.0.0.1 only): it is how psql or `npm run migrate` reach it.
			logger.info(
				{
					hostPid: embedded.pid,
					startMs: embedded.startMs,
					dataDir: `${env.DATA_DIR}/pglite`,
					url: embedded.url,
					connections: embedded.maxConnections
				},
				'embedded database started'
			);
			const db = embedded;
			shutdown.add('embedded database', () => db.stop());
			phases.mark('embedded database');
		}
		const ormOptions = {
			clientUrl: env.DATABASE_URL ?? embedded!.url,
			plugins: manifests,
			// Against the embedded database, its own (smaller) pool, which leaves connections for outside clients.
			poolMax: embedded?.poolMax ?? 10
		};
		// Migrations first, without the statement limits; the bot's own pool gives up on a silent database quickly.
		// With MIGRATE_ON_START=false a one-shot `node dist/migrate.js` ran them; a start that finds some pending
		// refuses to run against a schema older than its code.
		if (env.MIGRATE_ON_START) {
			const { applied, adopted } = await migrateUnlimited(ormOptions);
			if (adopted.length) logger.info({ migrations: adopted }, 'migrations recorded under their owner');
			if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
			phases.mark('migrations');
		}
		// A database that does not answer reaches people as "unreachable, try again", not as a bug.
		registerDatabaseErrors();
		const orm = await MikroORM.init(
			createOrmConfig({
				...ormOptions,
				timeouts: { statementMs: env.DATABASE_STATEMENT_TIMEOUT_MS, acquireMs: env.DATABASE_ACQUIRE_TIMEOUT_MS }
			})
		);
		// Closing the pool waits for every checked-out connection; against a database that went away (whose work the
		// plugins already spilled) that wait can outlast the shutdown budget and skip the steps after it.
		shutdown.add('database', () => orm.close(), { limitMs: DATABASE_CLOSE_MS });
		phases.mark('database');
		// With MIGRATE_ON_START=false the pending list is read while the plugin service loads its state (both wait on
		// the database; about 20 ms each). Nothing writes before the answer: pending migrations stop the start with
		// their names, ahead of whatever the plugin service ran into on a schema that is not there yet.
		const pendingCheck = env.MIGRATE_ON_START ? Promise.resolve([]) : pendingMigrations(orm);
		pendingCheck.catch(() => undefined);
		const refuseIfPending = async () => {
			const pending = await pendingCheck;
			if (pending.length) throw new PendingMigrationsError(pending);
		};
		health.add({
			name: 'database',
			check: async () => {
				await databaseRoundTrip(orm);
				return true;
			}
		});

		container.deployment = deploymentId(env);
		const plugins = new PluginService(manifests, orm, redis, logger.child({ source: 'plugins' }), container.deployment, {
			checkIntervalMs: env.PLUGIN_STATE_CHECK_SECONDS * 1_000
		});
		shutdown.add('plugin state', () => plugins.stop());
		await plugins.start().catch(async (error: unknown) => {
			await refuseIfPending();
			throw error;
		});
		await refuseIfPending();
		phases.mark('plugin state');
		const pluginOwnership = new PluginOwnership(manifests);
		Object.assign(container, { plugins, pluginOwnership, guildFacts: new GuildFactsService(manifests) });

		const gatewayWatch = new GatewayWatch(logger.child({ source: 'gateway' }), {
			readyTimeoutMs: env.GATEWAY_READY_TIMEOUT_SECONDS * 1_000
		});
		const keyPrefix = `facet:gateway:${container.deployment}`;
		const sessions = keepsSessions(env)
			? new GatewaySessions(redis, logger.child({ source: 'gateway' }), { keyPrefix, saveIntervalMs: env.GATEWAY_CHECKPOINT_MS })
			: null;
		if (sessions) {
			// Registered before the client's step, so it runs after it: the last save, once plugins made their effects durable.
			shutdown.add('gateway checkpoint', () => sessions.stop());
		}
		const client = createClient(env, logger, { restUrl: target.restUrl, redisUrl: target.redisUrl }, manifests, gatewayWatch, {
			...(sessions ? { attach: (manager) => sessions.attach(manager) } : {}),
			buildIdentifyThrottler: (manager) =>
				new SessionStartGuard(manager, redis, logger.child({ source: 'gateway' }), {
					keyPrefix,
					minRemaining: env.GATEWAY_MIN_SESSION_STARTS
				})
		});
		// A bot or api process must not take jobs off the shared queue: the worker role runs them over every guild.
		if (!runsQueues(role)) await closeTaskWorker();
		else {
			metrics.gauge('facet_queue_jobs', 'Jobs of the task queue (TASKS_QUEUE) by state, read from Redis at scrape time', {
				labelNames: ['state'],
				async collect() {
					const counts = await container.tasks.client.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
					for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
				}
			});
		}
		sessions?.instrument(client);
		const directory = new GuildDirectory(client, { gateway });
		Object.assign(container, { guildDirectory: directory, gatewaySessions: sessions });
		shutdown.add('guild directory', () => directory.stop());
		client.rest.on(RESTEvents.Response, (request, response) => {
			if (response.status === 429) rest429.inc({ route: request.route, scope: response.headers.get('x-ratelimit-scope') ?? 'unknown' });
		});
		client.on(Events.InteractionCreate, (interaction) => {
			if (interaction.isChatInputCommand()) commandRuns.inc({ command: interaction.commandName, result: 'received' });
		});
		client.on('scheduledTaskError' as never, (_error: unknown, task: { name: string }) =>
			taskFailures.inc({ task: task?.name ?? 'unknown' })
		);
		// plugin-api binds its port at login, before its routes load: answer 503 + Retry-After until ready, never hang.
		const apiGate = installStartupGate(container.server.server);
		// Settings that name channels and roles are checked against this client's guild cache (src/core/references.ts).
		plugins.guildLookup = (guildId) => client.guilds.cache.get(guildId);
		// Before any piece loads (at login): listeners run without Sapphire's per-event async wrappers, and every plugin
		// listener and task is gated by its plugin's switch.
		installListenerRunner(client.stores.get('listeners'));
		installPluginGate({
			stores: client.stores as unknown as PluginGateOptions['stores'],
			ownership: pluginOwnership,
			switches: plugins,
			// Tasks run over every guild this process serves: its shards' guilds, or (worker) every guild the bot is in.
			guildIds: () => directory.ids(),
			onSkip: (plugin, kind) => gatedSkips.inc({ plugin, kind })
		});
		const commandSync = new CommandSync({
			orm,
			rest: client.rest,
			logger: logger.child({ source: 'commands' }),
			ownership: pluginOwnership,
			isEnabled: (guildId, plugin) => plugins.isEnabled(guildId, plugin)
		});
		// The process that made a change re-syncs that guild's commands; the others only refresh their cache.
		plugins.on('changed', (guildId, _plugin, local) => {
			if (local)
				void work.track(commandSync.syncGuild(guildId)).catch((error) => logger.error({ err: error, guildId }, 'command sync failed'));
		});
		Object.assign(container, { orm, redis, commandSync });
		if (target.fresh) await commandSync.forgetAll();
		if (gateway) health.add({ name: 'gateway', check: () => client.ws.status === Status.Ready });
		else health.add({ name: 'discord', check: () => directory.ready() });
		health.detail('commandSync', () => commandSync.status());

		phases.mark('client');
		for (const manifest of manifests) {
			await manifest.start?.({ env, orm, redis, client, logger: logger.child({ plugin: manifest.name }) });
			// Runs after the client step (added later, so earlier in the sequence) and before the database closes.
			if (manifest.stop) shutdown.add(`plugin ${manifest.name}`, () => manifest.stop!());
		}
		phases.mark('plugin start');
		shutdown.add('scheduled tasks', async () => {
			await container.tasks?.close().catch(() => undefined);
		});
		shutdown.add('client', async () => {
			await container.server?.disconnect().catch(() => undefined);
			// A normal close (1000) would end the sessions on Discord's side: close resumably, the next process resumes.
			await sessions?.closeResumable().catch((error: unknown) => logger.warn({ err: error }, 'gateway close failed'));
			await client.destroy();
		});
		// Registered after the client's step, so it runs before it: no guild command sync may start once the client's
		// token is gone (the sweep goes on in the background).
		shutdown.add('command sync', () => commandSync.stop());
		// Registered last, so it runs first: finish accepted work while every connection is still open.
		shutdown.add('in-flight work', async () => {
			health.shuttingDown = true;
			const drained = await work.drain(env.SHUTDOWN_TIMEOUT_MS - 2_000);
			if (!drained) logger.error({ pending: work.size }, 'in-flight work did not finish before the deadline');
		});

		if (gateway) {
			// Sapphire loads the stores at login, then discord.js connects: READY closes that phase, the last
			// GUILD_CREATE (discord.js' ready) the next; what follows is the global command scope.
			client.ws.once(GatewayDispatchEvents.Ready, () => phases.mark('pieces and connect'));
			client.once(Events.ClientReady, () => phases.mark('guilds'));
		}
		if (gateway && sessions) {
			await resolveShards(client, env, target.token);
			const shardIds = client.options.shards as number[];
			const restored = await sessions.load(shardIds, client.options.shardCount as number);
			if (restored.length) {
				// A RESUME brings no READY and no guilds: load what READY would have (the bot's user, its guilds) over REST.
				const hydrated = await directory.hydrate(target.token, orm, shardIds, client.options.shardCount as number);
				logger.info({ shards: restored.map((info) => info.shardId), guilds: hydrated }, 'saved gateway sessions found: resuming them');
			}
			sessions.start();
			// Ready from READY (or RESUMED) plus the global scope (core commands); guild command sync goes on in the background.
			await gatewayWatch.untilReady(client, () => client.login(target.token), [commandSync.globalSettled]);
		} else if (gateway) {
			await gatewayWatch.untilReady(client, () => client.login(target.token), [commandSync.globalSettled]);
		} else {
			await directory.restLogin(target.token, orm, logger);
			// This process syncs the commands of a guild whose plugins it switched (the bots only refresh their cache).
			await commandSync.collect(client.stores.get('commands'), client.application!.id);
		}
		phases.mark(gateway ? 'commands' : 'rest login');
		apiGate.open();
		shutdown.add('memory compaction', compactAfterStart(env.MEMORY_COMPACT_AFTER_MS, logger));
		const readyMs = Math.round(performance.now() - started);
		return { client, orm, redis, target, embedded, shutdown, readyMs, phasesMs: phases.phasesMs };
	} catch (error) {
		await shutdown.run('start failed');
		throw error;
	}
}

/**
 * Fixes the shard list before login, so saved sessions can be looked up: SHARD_COUNT=auto asks `GET /gateway/bot`
 * once; unset keeps discord.js' own default (one shard, or its `auto`).
 */
async function resolveShards(client: SapphireClient, env: Env, token: string): Promise<void> {
	const options = client.options as { shards?: number[] | 'auto' | number; shardCount?: number };
	if (Array.isArray(options.shards) && options.shardCount) return;
	let count = options.shardCount ?? 1;
	if (options.shards === 'auto' || env.SHARD_COUNT === 'auto') {
		client.rest.setToken(token);
		count = ((await client.rest.get(Routes.gatewayBot())) as { shards: number }).shards;
	}
	const given = shardOptions({ ...env, SHARD_COUNT: count });
	options.shards = given.shards ?? [0];
	options.shardCount = given.shardCount ?? 1;
}
