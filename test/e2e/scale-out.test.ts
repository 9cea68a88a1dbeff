import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { shardOf } from '../../src/sandbox/index.ts';
import { type ApiBot, Browser, login } from '../api/helpers.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { jsonLines, type RunningProcess, runNode } from '../helpers/process.ts';
import { waitUntil } from '../helpers/sandbox.ts';
import { FixtureServer, makeItems } from '../plugins/dailies/fixture-server.ts';
import { startEmulator } from '../sandbox/helpers.ts';

// Four Facet processes share one emulator, one PostgreSQL database and one Redis: two bot processes holding one
// shard each of two, one worker running the queues and one api process serving the routes.

const SESSION_SECRET = 'scale-out-test-session-secret-0123456789abcdef';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** How long the emulator keeps a disconnected session resumable (Discord's window is minutes; a test cannot wait that). */
const RESUME_WINDOW_MS = 45_000;
/** Long enough that a kill lands while points are still only in memory. */
const FLUSH_MS = 1_500;

let emulator: Emulator;
let db: ScratchDatabase;
let feeds: FixtureServer;
let dataRoot: string;
let guildA: string;
let guildB: string;
let channelB: string;
let api: { proc: RunningProcess; base: string; ops: string };
let worker: { proc: RunningProcess; ops: string };
/** Bot processes by shard id. */
const bots = new Map<number, { proc: RunningProcess; env: Record<string, string>; ops: string; apiPort: number }>();
let browser: Browser;
let dailyMessage: string;

const common = () => ({
	EMULATOR_URL: emulator.baseUrl,
	DATABASE_URL: db.url,
	REDIS_URL,
	NODE_ENV: 'test',
	LOG_FORMAT: 'json',
	API_HOST: '127.0.0.1',
	SESSION_SECRET,
	DASHBOARD_ORIGIN: 'http://dashboard.test:5173',
	MILEAGE_FLUSH_INTERVAL_MS: String(FLUSH_MS),
	DAILIES_ALLOW_PRIVATE_FEEDS: 'true',
	DAILIES_POLL_TICK_MS: '1000',
	DAILIES_POSTS_TICK_MS: '1000',
	GATEWAY_CHECKPOINT_MS: '200',
	SHUTDOWN_TIMEOUT_MS: '10000'
});

let queueName = '';

/** Starts (or restarts, with the same environment and data folder) a bot process. */
function startBot(env: Record<string, string>): RunningProcess {
	return runNode(['src/main.ts'], env);
}

async function botEnv(shard: number): Promise<Record<string, string>> {
	return {
		...common(),
		TASKS_QUEUE: queueName,
		FACET_ROLE: 'bot',
		SHARD_COUNT: '2',
		SHARD_IDS: String(shard),
		OPS_PORT: String(await freePort()),
		// Given so the test can see that a bot process never binds it.
		API_PORT: String(await freePort()),
		DATA_DIR: join(dataRoot, `bot${shard}`)
	};
}

async function metric(ops: string, name: string, labels: Record<string, string> = {}): Promise<number> {
	const text = await (await fetch(`${ops}/metrics`)).text();
	const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
	let sum = 0;
	for (const line of text.split('\n')) {
		if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
		if (wanted.every((pair) => line.includes(pair))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
	}
	return sum;
}

const messagePoints = async (guildId: string) =>
	Number(
		(
			await query<{ total: string }>(
				db.url,
				`select coalesce(sum(delta), 0) as total from mileage_event where guild_id = $1 and reason = 'message'`,
				[guildId]
			)
		)[0]?.total ?? 0
	);

async function apiCall(method: string, path: string, body?: unknown) {
	const response = await browser.fetch(`${api.base}${path}`, {
		method,
		...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
	});
	const text = await response.text();
	return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

let sent = 0;
/** Sends one member message into a guild through the emulator (the gateway dispatches it to the guild's shard). */
function say(guildId: string, channelId: string, user = emulator.seed.users.linus) {
	sent++;
	emulator.sendMessage({ guild_id: guildId, channel_id: channelId, user_id: user, content: `scale-out message ${sent}` });
}

/** Sends a message every `everyMs` until `until` resolves; answers how many were sent. */
async function stream(guildId: string, channelId: string, until: Promise<unknown>, everyMs = 10): Promise<number> {
	let done = false;
	let count = 0;
	void until.finally(() => {
		done = true;
	});
	while (!done) {
		say(guildId, channelId);
		count++;
		await new Promise((resolve) => setTimeout(resolve, everyMs));
	}
	return count;
}

beforeAll(async () => {
	emulator = await startEmulator({ shards: 2, sessionTtlMs: RESUME_WINDOW_MS, heartbeatIntervalMs: 5_000 });
	guildA = emulator.seed.guildId;
	// A guild on the other shard of two.
	guildB = (((BigInt(guildA) >> 22n) + 1n) << 22n).toString();
	emulator.createGuild({ name: 'Second Server', id: guildB, owner_id: emulator.seed.users.ada });
	channelB = emulator.snapshot().guilds.find((guild) => guild.id === guildB)!.channels[0]!.id;
	emulator.joinMember({ guild_id: guildB, user_id: emulator.seed.users.linus });
	// A created guild grants @everyone nothing: let members (and the bot) see and post (View, Send, Embed Links, History).
	emulator.updateRole(guildB, { guild_id: guildB, permissions: String(1024 + 2048 + 16384 + 65536) });
	db = await createScratchDatabase('facet_scale');
	feeds = await new FixtureServer().start();
	dataRoot = mkdtempSync(join(tmpdir(), 'facet-scale-'));
	queueName = `facet-scale-${process.pid}-${Date.now()}`;

	// The api process first: it migrates the scratch database; the others find it migrated.
	const apiPort = await freePort();
	const apiOps = await freePort();
	const apiProc = runNode(['src/main.ts'], {
		...common(),
		TASKS_QUEUE: queueName,
		FACET_ROLE: 'api',
		API_PORT: String(apiPort),
		OPS_PORT: String(apiOps),
		DATA_DIR: join(dataRoot, 'api')
	});
	api = { proc: apiProc, base: `http://localhost:${apiPort}`, ops: `http://127.0.0.1:${apiOps}` };
	await apiProc.waitFor(/Facet is ready/, 120_000);

	for (const shard of [0, 1]) {
		const env = await botEnv(shard);
		bots.set(shard, { proc: startBot(env), env, ops: `http://127.0.0.1:${env.OPS_PORT}`, apiPort: Number(env.API_PORT) });
	}
	await Promise.all([...bots.values()].map((bot) => bot.proc.waitFor(/Facet is ready/, 120_000)));
	// The worker last: it learns the bot's guilds from core_guild, which the bots wrote on READY (else within 10 s).
	const workerOps = await freePort();
	const workerProc = runNode(['src/main.ts'], {
		...common(),
		TASKS_QUEUE: queueName,
		FACET_ROLE: 'worker',
		OPS_PORT: String(workerOps),
		DATA_DIR: join(dataRoot, 'worker')
	});
	worker = { proc: workerProc, ops: `http://127.0.0.1:${workerOps}` };
	await workerProc.waitFor(/Facet is ready/, 120_000);

	// Ada (the owner) sets the guilds up through the api process: every message earns a point, joins are welcomed.
	browser = new Browser(api.base);
	await login({ base: api.base } as ApiBot, 'ada', browser);
	for (const guildId of [guildA, guildB]) {
		const patched = await apiCall('PATCH', `/guilds/${guildId}/plugins/mileage/settings`, { cooldownSeconds: 0, minMessageLength: 0 });
		expect(patched.status, JSON.stringify(patched.body)).toBe(200);
	}
	const welcome = await apiCall('PATCH', `/guilds/${guildA}/plugins/config/settings`, { welcomeChannel: emulator.seed.channels.welcome });
	expect(welcome.status, JSON.stringify(welcome.body)).toBe(200);

	// A daily post due at the start of the next minute (UTC), and a feed whose existing items are not posted.
	const next = new Date(Date.now() + 60_000);
	dailyMessage = `Scale-out daily ${Date.now()}`;
	const post = await apiCall('POST', `/dailies/guilds/${guildA}/posts`, {
		time: `${String(next.getUTCHours()).padStart(2, '0')}:${String(next.getUTCMinutes()).padStart(2, '0')}`,
		message: dailyMessage,
		channelId: emulator.seed.channels.daily,
		timeZone: 'UTC'
	});
	expect(post.status, JSON.stringify(post.body)).toBe(201);
	feeds.routes.set('/scale.xml', {
		kind: 'rss',
		items: makeItems(2, { prefix: 'old', base: feeds.base, start: new Date(Date.now() - 3_600_000) }),
		etag: false
	});
	const feed = await apiCall('POST', `/dailies/guilds/${guildB}/feeds`, { url: feeds.url('/scale.xml'), channelId: channelB });
	expect(feed.status, JSON.stringify(feed.body)).toBe(201);
}, 300_000);

afterAll(async () => {
	for (const proc of [api?.proc, worker?.proc, ...[...bots.values()].map((bot) => bot.proc)]) proc?.child.kill('SIGKILL');
	await Promise.all([api?.proc, worker?.proc, ...[...bots.values()].map((bot) => bot.proc)].map((proc) => proc?.exited));
	await feeds?.stop();
	await emulator?.stop();
	await db?.drop();
	if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
});

const botOf = (guildId: string) => bots.get(shardOf(guildId, 2))!;

/** Waits until a bot process holds no points in memory (everything it counted is written): a double count shows now. */
async function settled(ops: string): Promise<void> {
	await waitUntil(
		async () => metric(ops, 'facet_mileage_buffer_keys'),
		(keys) => keys === 0,
		15_000
	);
}

describe('four processes, one deployment', () => {
	it('GIVEN messages in two guilds on different shards THEN each is handled by the one bot process holding its shard, exactly once', async () => {
		expect(shardOf(guildA, 2)).not.toBe(shardOf(guildB, 2));
		const before = { a: await messagePoints(guildA), b: await messagePoints(guildB) };
		const eventsBefore = new Map<number, number>();
		for (const [shard, bot] of bots)
			eventsBefore.set(shard, await metric(bot.ops, 'facet_gateway_events_total', { type: 'MESSAGE_CREATE' }));
		for (let i = 0; i < 20; i++) say(guildA, emulator.seed.channels.general);
		for (let i = 0; i < 30; i++) say(guildB, channelB);
		await waitUntil(
			async () => (await messagePoints(guildA)) - before.a === 20 && (await messagePoints(guildB)) - before.b === 30,
			Boolean,
			20_000
		);
		expect((await messagePoints(guildA)) - before.a).toBe(20);
		expect((await messagePoints(guildB)) - before.b).toBe(30);
		const handled = async (guildId: string) =>
			(await metric(botOf(guildId).ops, 'facet_gateway_events_total', { type: 'MESSAGE_CREATE' })) - eventsBefore.get(shardOf(guildId, 2))!;
		expect(await handled(guildA)).toBe(20);
		expect(await handled(guildB)).toBe(30);
		// Only the api process binds the API port; every role answers /livez, /readyz and /metrics on its own.
		for (const bot of bots.values()) {
			await expect(fetch(`http://127.0.0.1:${bot.apiPort}/livez`)).rejects.toThrow();
			expect((await fetch(`${bot.ops}/readyz`)).status).toBe(200);
		}
		expect((await fetch(`${worker.ops}/readyz`)).status).toBe(200);
		expect((await fetch(`${api.ops}/livez`)).status).toBe(200);
		expect(await metric(worker.ops, 'facet_process_resident_memory_bytes')).toBeGreaterThan(0);
		expect(await metric(api.ops, 'facet_gateway_events_total')).toBe(0);
	}, 60_000);

	it('GIVEN a new feed item THEN the worker posts it once, into the guild of the other shard', async () => {
		const items = makeItems(1, { from: 10, prefix: 'fresh', base: feeds.base, start: new Date(Date.now() - 3_600_000) });
		const route = feeds.routes.get('/scale.xml') as { items: ReturnType<typeof makeItems> };
		route.items.push(...items);
		await query(db.url, `update dailies_feed set next_poll_at = now() where guild_id = $1`, [guildB]);
		const title = items[0]!.title;
		const posted = () => emulator.channelMessages(channelB).filter((message) => JSON.stringify(message).includes(title)).length;
		await waitUntil(posted, (n) => n > 0, 30_000);
		expect(posted(), worker.proc.lines.slice(-30).join('\n')).toBe(1);
		// Further ticks of the worker do not post it again.
		await waitUntil(
			async () => Number((await query(db.url, `select count(*) as n from dailies_feed where next_poll_at > now()`))[0]?.n),
			(n) => n > 0,
			10_000
		);
		expect(posted()).toBe(1);
		expect(JSON.stringify(emulator.channelMessages(channelB))).not.toContain('old-');
	}, 60_000);

	it('GIVEN kill -9 of a bot process mid-stream and a restart within the resume window THEN it RESUMEs and no point is lost or counted twice; a join replayed is welcomed once', async () => {
		const bot = botOf(guildA);
		const before = await messagePoints(guildA);
		const identifies = emulator.stats.identifies;
		const resumes = emulator.stats.resumes;
		const welcomes = () => emulator.channelMessages(emulator.seed.channels.welcome).length;
		const welcomesBefore = welcomes();
		let total = 0;
		// Points flowing, a join welcomed, and the process killed before its buffer is flushed.
		for (let i = 0; i < 50; i++) {
			say(guildA, emulator.seed.channels.general);
			total++;
		}
		const joiner = emulator.joinMember({ guild_id: guildA, username: `joiner_${Date.now() % 100_000}` }) as { user: { id: string } };
		// The join's sequence on the shard's session (the emulator dispatches synchronously).
		const joinSequence = emulator.snapshot().gateway.sessions.find((session) => session.shard[0] === shardOf(guildA, 2))!.seq;
		await waitUntil(welcomes, (n) => n === welcomesBefore + 1, 10_000);
		const killed = bot.proc.exited;
		bot.proc.child.kill('SIGKILL');
		// Messages keep flowing while it is down and while it comes back.
		const restarted = startBot(bot.env);
		bot.proc = restarted;
		await killed;
		total += await stream(guildA, emulator.seed.channels.general, restarted.waitFor(/Facet is ready/, 120_000));
		for (let i = 0; i < 20; i++) {
			say(guildA, emulator.seed.channels.general);
			total++;
		}
		await waitUntil(
			() => messagePoints(guildA),
			(points) => points - before >= total,
			30_000
		);
		await settled(bot.ops);
		const gatewayLines = jsonLines(restarted.lines)
			.filter((line) => line.source === 'gateway' || String(line.msg).includes('ready'))
			.map((line) => `${line.time} ${line.msg}`)
			.join('\n');
		expect(emulator.stats.identifies, gatewayLines).toBe(identifies);
		expect((await messagePoints(guildA)) - before, gatewayLines).toBe(total);
		expect(emulator.stats.resumes).toBeGreaterThan(resumes);
		expect(jsonLines(restarted.lines).some((line) => String(line.msg).includes('resuming the session of the previous process'))).toBe(true);
		expect(await metric(bot.ops, 'facet_gateway_resumes_total', { from: 'redis' })).toBe(1);
		// The join was replayed (its points were still in memory at the kill), and still welcomed once.
		const resumedFrom = jsonLines(restarted.lines).find((line) => String(line.msg).includes('resuming the session'))!;
		expect(resumedFrom.sequence as number).toBeLessThan(joinSequence);
		expect(welcomes()).toBe(welcomesBefore + 1);
		// Its points (10 per join) counted once too.
		const joined = await query<{ total: string }>(
			db.url,
			`select coalesce(sum(delta), 0) as total from mileage_event where guild_id = $1 and user_id = $2 and reason = 'join'`,
			[guildA, joiner.user.id]
		);
		expect(Number(joined[0]?.total)).toBe(10);
	}, 180_000);

	it('GIVEN a SIGTERM restart mid-stream THEN the process exits 0, resumes, and nothing is lost or doubled', async () => {
		const bot = botOf(guildA);
		const before = await messagePoints(guildA);
		const identifies = emulator.stats.identifies;
		let total = 0;
		const exited = bot.proc.exited;
		const stopped = stream(guildA, emulator.seed.channels.general, exited);
		await bot.proc.waitFor(/Facet is ready/);
		bot.proc.child.kill('SIGTERM');
		total += await stopped;
		expect((await exited).code).toBe(0);
		const restarted = startBot(bot.env);
		bot.proc = restarted;
		total += await stream(guildA, emulator.seed.channels.general, restarted.waitFor(/Facet is ready/, 120_000));
		await waitUntil(
			() => messagePoints(guildA),
			(points) => points - before >= total,
			30_000
		);
		await settled(bot.ops);
		expect((await messagePoints(guildA)) - before).toBe(total);
		expect(emulator.stats.identifies).toBe(identifies);
	}, 180_000);

	it('GIVEN a restart past the resume window THEN the bot identifies afresh, logs the gap, and the metric counts the lost session; the loss is what was sent while no process held the shard', async () => {
		const bot = botOf(guildA);
		const shard = shardOf(guildA, 2);
		// Everything sent so far is written before the kill, so the loss below is only what the down time took.
		const start = await messagePoints(guildA);
		for (let i = 0; i < 10; i++) say(guildA, emulator.seed.channels.general);
		await waitUntil(
			() => messagePoints(guildA),
			(points) => points - start === 10,
			15_000
		);
		await settled(bot.ops);
		const before = await messagePoints(guildA);
		const identifies = emulator.stats.identifies;
		const sessionOf = () => emulator.snapshot().gateway.sessions.find((session) => session.shard[0] === shard);
		const killed = bot.proc.exited;
		bot.proc.child.kill('SIGKILL');
		await killed;
		let lost = 0;
		for (let i = 0; i < 15; i++) {
			say(guildA, emulator.seed.channels.general);
			lost++;
		}
		// The emulator forgets the session once the window has passed (waited for, not slept).
		await waitUntil(sessionOf, (session) => session === undefined, RESUME_WINDOW_MS + 15_000);
		expect(sessionOf()).toBeUndefined();
		const restarted = startBot(bot.env);
		bot.proc = restarted;
		await restarted.waitFor(/Facet is ready/, 120_000);
		let after = 0;
		for (let i = 0; i < 12; i++) {
			say(guildA, emulator.seed.channels.general);
			after++;
		}
		await waitUntil(
			() => messagePoints(guildA),
			(points) => points - before >= after,
			20_000
		);
		await settled(bot.ops);
		// Bounded and measured: exactly the messages sent while the shard had no session are missing.
		expect((await messagePoints(guildA)) - before).toBe(after);
		expect(lost).toBe(15);
		expect(emulator.stats.identifies).toBe(identifies + 1);
		expect(await metric(bot.ops, 'facet_gateway_sessions_lost_total', { shard: String(shard) })).toBe(1);
		expect(await metric(bot.ops, 'facet_gateway_last_gap_seconds', { shard: String(shard) })).toBeGreaterThanOrEqual(
			RESUME_WINDOW_MS / 1_000
		);
		expect(jsonLines(restarted.lines).find((line) => String(line.msg).includes('past the resume window'))).toMatchObject({
			shardId: shard
		});
	}, 240_000);

	it('GIVEN the daily post due this minute THEN it is sent once by the deployment', async () => {
		const posts = () =>
			emulator.channelMessages(emulator.seed.channels.daily).filter((message) => JSON.stringify(message).includes(dailyMessage));
		await waitUntil(posts, (list) => list.length > 0, 120_000);
		// Its run is claimed in the database; later ticks (every second, on the worker) see it done.
		await waitUntil(
			async () => Number((await query(db.url, `select count(*) as n from dailies_post_run`))[0]?.n),
			(n) => n > 0,
			10_000
		);
		expect(posts()).toHaveLength(1);
		// Sent by the worker (on time or late: the minute may have turned while the test waited), and counted there.
		const sentByWorker =
			(await metric(worker.ops, 'facet_dailies_posts_total', { outcome: 'sent' })) +
			(await metric(worker.ops, 'facet_dailies_posts_total', { outcome: 'late' }));
		expect(sentByWorker).toBe(1);
		for (const bot of bots.values()) expect(await metric(bot.ops, 'facet_dailies_posts_total')).toBe(0);
	}, 150_000);

	it('GIVEN mileage switched off through the api process THEN both bot processes honour it within 2 s', async () => {
		const skips = async (shard: number) => metric(bots.get(shard)!.ops, 'facet_plugin_gate_skips_total', { plugin: 'mileage' });
		const before = new Map<number, number>();
		for (const shard of bots.keys()) before.set(shard, await skips(shard));
		for (const guildId of [guildA, guildB]) {
			const answer = await apiCall('PUT', `/guilds/${guildId}/plugins/mileage`, { enabled: false });
			expect(answer.status, JSON.stringify(answer.body)).toBe(200);
		}
		const switched = Date.now();
		const honoured = new Map<number, number>();
		await waitUntil(
			async () => {
				say(guildA, emulator.seed.channels.general);
				say(guildB, channelB);
				for (const shard of bots.keys()) {
					if (!honoured.has(shard) && (await skips(shard)) > before.get(shard)!) honoured.set(shard, Date.now() - switched);
				}
				return honoured.size;
			},
			(n) => n === 2,
			10_000
		);
		expect(honoured.size).toBe(2);
		for (const elapsed of honoured.values()) expect(elapsed).toBeLessThan(2_000);
	}, 30_000);
});
