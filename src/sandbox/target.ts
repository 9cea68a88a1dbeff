import type { Env } from '../core/env.ts';
import type { DiscordTarget, TargetContext } from '../core/target.ts';
import { ensureDashboardBuilt } from './dashboard.ts';
import { Emulator } from './emulator.ts';
import { findRedisServer, isListening, startPrivateRedis } from './private-redis.ts';
import { SANDBOX_BOT_TOKEN, SANDBOX_CLIENT_SECRET } from './seed.ts';

/** The sandbox as a {@link DiscordTarget}, with the emulator it started (null when it joined one elsewhere). */
export interface SandboxTarget extends DiscordTarget {
	emulator: Emulator | null;
}

/** Options for {@link startSandboxTarget}. */
export interface SandboxTargetOptions {
	/** The raw environment, to tell an unset REDIS_URL from its default. */
	source?: NodeJS.ProcessEnv;
	/** Heartbeat interval of a started emulator. @default 5000 */
	heartbeatIntervalMs?: number;
	/** Build the dashboard when it is missing or stale (tests that never open it skip it). @default DASHBOARD_BUILD, and never under NODE_ENV=test */
	buildDashboard?: boolean;
	/** Where a Redis is looked for before a private one is started. @default 127.0.0.1:6379 */
	defaultRedis?: { host: string; port: number };
}

/**
 * The offline Discord for a bot with no token: an emulator already running at `EMULATOR_URL`, or one started
 * here on `EMULATOR_PORT`. When REDIS_URL is unset and nothing listens on 127.0.0.1:6379 but `redis-server` is
 * on the PATH, a private Redis is started in `$DATA_DIR/redis` too. Every part registers its shutdown step.
 */
export async function startSandboxTarget(
	{ env, logger, shutdown }: TargetContext,
	options: SandboxTargetOptions = {}
): Promise<SandboxTarget> {
	// The dashboard the API serves at `/` is built (once) while the rest starts; DASHBOARD_DIR means one is given.
	const build = options.buildDashboard ?? (env.DASHBOARD_BUILD && env.NODE_ENV !== 'test');
	const dashboard = env.DASHBOARD_DIR || !build ? Promise.resolve() : ensureDashboardBuilt(logger);
	const redisUrl = await privateRedisIfNeeded(env, options, { logger, shutdown });
	if (env.EMULATOR_URL) {
		const base = env.EMULATOR_URL.replace(/\/+$/, '');
		await dashboard;
		return { emulator: null, restUrl: `${base}/api`, token: SANDBOX_BOT_TOKEN, clientSecret: SANDBOX_CLIENT_SECRET, redisUrl };
	}
	const emulator = new Emulator({
		port: env.EMULATOR_PORT,
		heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
		logger: logger.child({ source: 'emulator' })
	});
	await emulator.start();
	shutdown.add('emulator', () => emulator.stop());
	await dashboard;
	return {
		emulator,
		restUrl: emulator.restUrl,
		token: emulator.botToken,
		clientSecret: SANDBOX_CLIENT_SECRET,
		// An emulator started here begins empty: what was sent to the previous one is gone with it.
		fresh: true,
		redisUrl,
		banner: sandboxBanner(env, emulator)
	};
}

async function privateRedisIfNeeded(
	env: Env,
	options: SandboxTargetOptions,
	{ logger, shutdown }: Pick<TargetContext, 'logger' | 'shutdown'>
): Promise<string | undefined> {
	const source = options.source ?? process.env;
	const probe = options.defaultRedis ?? { host: '127.0.0.1', port: 6379 };
	if (source.REDIS_URL?.trim()) return undefined;
	if (await isListening(probe.host, probe.port)) return undefined;
	const binary = findRedisServer(source.PATH);
	// Without a binary, the core's one-line "Redis is not reachable" error stands.
	if (!binary) return undefined;
	const redis = await startPrivateRedis(binary, `${env.DATA_DIR}/redis`);
	shutdown.add('private redis', () => redis.stop());
	logger.info(
		{ redisPid: redis.pid, url: redis.url, dir: `${env.DATA_DIR}/redis` },
		`no Redis on ${probe.host}:${probe.port}: started a private redis-server`
	);
	return redis.url;
}

function sandboxBanner(env: Env, emulator: Emulator): string {
	const { seed } = emulator;
	const body = JSON.stringify({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.linus, command: 'ping' });
	return [
		'',
		'Facet sandbox is running (no Discord token: an offline Discord emulator stands in).',
		`  Dashboard (log in as ada, the owner):  http://localhost:${env.API_PORT}/`,
		`  Emulator (REST, gateway, control API): ${emulator.baseUrl}`,
		`  Bot API:                               http://localhost:${env.API_PORT}  (health: /livez, /readyz)`,
		`  Emulator state (guilds, users, ids):   ${emulator.baseUrl}/_emulator/state`,
		'',
		'Run /ping as the member "linus" in #general:',
		`  curl -s -X POST ${emulator.baseUrl}/_emulator/interactions -H 'content-type: application/json' -d '${body}'`,
		''
	].join('\n');
}
