import { join } from 'node:path';
import { container } from '@sapphire/framework';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentId } from '../../src/core/boot.ts';
import { parseEnv } from '../../src/core/env.ts';
import { pluginStateVersionKey } from '../../src/core/plugins/service.ts';
import { plugins as listedPlugins } from '../../src/plugins/index.ts';
import { type ApiBot, Browser, login, startApiBot } from '../api/helpers.ts';
import { hookedPlugin } from '../fixtures/plugins/hooked/index.ts';
import { freePort } from '../helpers/ports.ts';
import { query } from '../helpers/postgres.ts';
import { jsonLines, ROOT, type RunningProcess, runNode } from '../helpers/process.ts';
import { waitUntil } from '../helpers/sandbox.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const SESSION_SECRET = 'cluster-test-session-secret-0123456789abcdef';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Documented bound after Redis is back: the reconnect delay (ioredis backs off up to 5 s) plus one reload. */
const RECONNECT_BOUND_MS = 7_000;
/** The first process checks the version counter every second here (30 s by default). */
const CHECK_SECONDS = 1;

let bot: ApiBot;
let grace: Browser;
let proxy: TcpProxy;
let second: RunningProcess;
let secondApi: string;
let guildId: string;

beforeAll(async () => {
	bot = await startApiBot({
		plugins: [...listedPlugins, hookedPlugin],
		env: { SESSION_SECRET, PLUGIN_STATE_CHECK_SECONDS: String(CHECK_SECONDS) }
	});
	guildId = bot.emulator.seed.guildId;
	grace = (await login(bot, 'grace')).browser;
	const redis = new URL(REDIS_URL);
	proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
	const apiPort = await freePort();
	secondApi = `http://127.0.0.1:${apiPort}`;
	// The second process reaches Redis only through the proxy, so the test can take Redis away from it alone.
	second = runNode(['src/main.ts'], {
		EMULATOR_URL: bot.emulator.baseUrl,
		DATABASE_URL: bot.db.url,
		REDIS_URL: proxy.rewrite(REDIS_URL),
		API_PORT: String(apiPort),
		API_HOST: '127.0.0.1',
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-cluster-second-${process.pid}`,
		FACET_EXTRA_PLUGINS: join(ROOT, 'test', 'fixtures', 'plugins', 'hooked', 'index.ts'),
		SESSION_SECRET,
		DASHBOARD_ORIGIN: 'http://dashboard.test:5173',
		// Only the reconnect path may repair the second process in the first test.
		PLUGIN_STATE_CHECK_SECONDS: '3600'
	});
	await second.waitFor(/Facet is ready/, 90_000);
	await second.waitFor(/application commands in sync/, 30_000);
}, 150_000);

afterAll(async () => {
	second?.child.kill('SIGKILL');
	proxy?.restore();
	await proxy?.close();
	await bot?.stop();
});

/**
 * The switches as the second process serves them, one request per call (grace's session lives in Redis, so her
 * cookie works there too); null while it cannot answer.
 */
async function switchesInSecond(): Promise<Record<string, boolean> | null> {
	const other = new Browser(secondApi);
	for (const [name, value] of grace.cookies) other.cookies.set(name, value);
	try {
		const response = await other.fetch(`${secondApi}/guilds/${guildId}/plugins`);
		if (response.status !== 200) return null;
		const body = (await response.json()) as { plugins: { name: string; enabled: boolean }[] };
		return Object.fromEntries(body.plugins.map((plugin) => [plugin.name, plugin.enabled]));
	} catch {
		return null;
	}
}

/** Polls the second process every 250 ms (its API rate limit allows 120 requests a minute per session). */
async function secondUntil(ok: (switches: Record<string, boolean>) => boolean, timeoutMs: number) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const switches = await switchesInSecond();
		if ((switches && ok(switches)) || Date.now() > deadline) return switches;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

const commandWrites = () =>
	Object.entries(bot.emulator.stats.restByRoute)
		.filter(([route]) => route.includes('/commands') && !route.startsWith('GET '))
		.reduce((sum, [, count]) => sum + count, 0);
const hookRuns = (lines: string[]) => jsonLines(lines).filter((line) => line.msg === 'hooked plugin hook ran');

describe('plugin state across processes that miss an announcement', () => {
	it('GIVEN the second process cut off from Redis while the first switches plugins off THEN it converges after Redis is back, and hooks and command sync ran once, in the first', async () => {
		expect(await switchesInSecond()).toMatchObject({ hooked: true, mileage: true });
		const writesBefore = commandWrites();
		const secondLinesBefore = second.lines.length;

		proxy.cut();
		const actor = { id: bot.emulator.seed.users.grace, source: 'api' as const };
		await container.plugins.setEnabled(guildId, 'hooked', false, actor);
		await container.plugins.setEnabled(guildId, 'mileage', false, actor);
		// The first process re-sent the guild's commands (mileage's are gone) as part of the change.
		await waitUntil(commandWrites, (n) => n > writesBefore);
		proxy.restore();
		const restored = Date.now();

		const converged = await secondUntil((switches) => !switches.hooked && !switches.mileage, RECONNECT_BOUND_MS + 5_000);
		expect(converged).toMatchObject({ hooked: false, mileage: false });
		expect(Date.now() - restored).toBeLessThan(RECONNECT_BOUND_MS);
		// The process logs asynchronously: its line may reach the pipe after its API already answers the new state.
		const resyncLine = (line: string) => line.includes('plugin state resynchronised') && second.lines.indexOf(line) >= secondLinesBefore;
		expect(JSON.parse(await second.waitFor(resyncLine, 5_000))).toMatchObject({ reason: 'subscription reconnected', changed: 2 });

		// Once per change, cluster-wide: the hook ran where the change was made, the second process ran none.
		expect(
			hookRuns(bot.logs)
				.filter((line) => line.guildId === guildId)
				.map((line) => line.hook)
		).toEqual(['onDisable']);
		expect(hookRuns(second.lines)).toEqual([]);
		expect(commandWrites() - writesBefore).toBe(1);

		await container.plugins.setEnabled(guildId, 'mileage', true, actor);
		await container.plugins.setEnabled(guildId, 'hooked', true, actor);
		expect(await secondUntil((switches) => switches.mileage === true, 5_000)).toMatchObject({ mileage: true });
	}, 60_000);

	it('GIVEN a change committed whose announcement never arrived THEN the version check reloads it within the check interval', async () => {
		await container.plugins.setEnabled(guildId, 'hooked', true, { id: bot.emulator.seed.users.grace, source: 'api' });
		// Another writer committed and counted its change, and its PUBLISH was lost on the way.
		await query(bot.db.url, `update core_plugin_state set enabled = false, updated_at = now() where guild_id = $1 and plugin = 'hooked'`, [
			guildId
		]);
		const redis = new Redis(REDIS_URL);
		try {
			await redis.incr(pluginStateVersionKey(deploymentId(parseEnv({ DATABASE_URL: bot.db.url }))));
		} finally {
			redis.disconnect();
		}
		const changed = Date.now();
		expect(
			await waitUntil(
				() => container.plugins.isEnabled(guildId, 'hooked'),
				(enabled) => !enabled,
				CHECK_SECONDS * 1_000 + 3_000
			)
		).toBe(false);
		expect(Date.now() - changed).toBeLessThan(CHECK_SECONDS * 1_000 + 1_500);
	}, 30_000);
});
