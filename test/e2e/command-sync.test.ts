import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/postgres.ts';
import { jsonLines, NODE, ROOT, type RunningProcess, runNode } from '../helpers/process.ts';
import { sleep } from '../helpers/sandbox.ts';

const GUILDS = 1_000;
const GUILD_PUT = 'PUT /applications/{application_id}/guilds/{guild_id}/commands';
let db: ScratchDatabase;
let emulator: Emulator;
const running: RunningProcess[] = [];
const databases: ScratchDatabase[] = [];

beforeAll(async () => {
	db = await createScratchDatabase();
	databases.push(db);
	emulator = new Emulator({ port: await freePort() });
	await emulator.start();
	for (let i = 1; i < GUILDS; i++) emulator.createGuild({ name: `Guild ${i}` });
});

afterAll(async () => {
	for (const proc of running) proc.child.kill('SIGKILL');
	await emulator?.stop();
	for (const database of databases) await database.drop();
});

async function spawnBot(url = db.url, apiPort?: number): Promise<RunningProcess> {
	const proc = runNode(['src/main.ts'], {
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: url,
		API_PORT: String(apiPort ?? (await freePort())),
		API_HOST: '127.0.0.1',
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-sync-${process.pid}`
	});
	running.push(proc);
	return proc;
}

async function startBot(url = db.url): Promise<RunningProcess> {
	const proc = await spawnBot(url);
	await proc.waitFor(/Facet is ready/, 120_000);
	// Readiness no longer waits for the guild sweep: wait for the line that ends it.
	await proc.waitFor(/application commands in sync/, 120_000);
	return proc;
}

async function stopBot(proc: RunningProcess) {
	proc.child.kill('SIGTERM');
	expect((await proc.exited).code).toBe(0);
}

const commandCalls = (pick: (method: string) => boolean) =>
	Object.entries(emulator.stats.restByRoute)
		.filter(([route]) => route.includes('/commands') && pick(route.split(' ')[0] ?? ''))
		.reduce((sum, [, count]) => sum + count, 0);
/** REST writes to application-command routes so far (PUT, POST, PATCH, DELETE). */
const commandWrites = () => commandCalls((method) => method !== 'GET');
/** REST reads of application-command routes so far: the start-up verification against Discord. */
const commandReads = () => commandCalls((method) => method === 'GET');
const guildPuts = () => emulator.stats.restByRoute[GUILD_PUT] ?? 0;

/**
 * How long a bare discord.js client (bench/targets/bare.ts: Facet's intents and caches, one no-op listener) takes
 * from login to ready, in a process of its own like Facet's.
 */
async function bareClientReadyMs(): Promise<number> {
	const child = spawn(NODE, ['bench/targets/bare.ts'], {
		cwd: ROOT,
		env: { ...process.env, VITEST: undefined, VITEST_WORKER_ID: undefined, EMULATOR_URL: emulator.baseUrl, BOT_TOKEN: emulator.botToken },
		stdio: ['ignore', 'ignore', 'inherit', 'ipc']
	});
	try {
		return await new Promise<number>((resolve, reject) => {
			child.on('message', (message: { type: string; startMs?: number }) => {
				if (message.type === 'ready') resolve(message.startMs ?? 0);
			});
			child.once('exit', (code) => reject(new Error(`bare client exited (${code}) before ready`)));
		});
	} finally {
		child.send({ type: 'exit' });
		await new Promise((resolve) => child.once('exit', resolve));
	}
}

describe('readiness does not wait for Discord rate limits', () => {
	it(`GIVEN ${GUILDS} guilds and a fresh database THEN events are handled within 2x a bare client's ready time while the guild sweep still runs, and a restart resumes the sweep`, async () => {
		const bareBefore = await bareClientReadyMs();
		const fresh = await createScratchDatabase();
		databases.push(fresh);
		const apiPort = await freePort();
		const putsBefore = guildPuts();
		const proc = await spawnBot(fresh.url, apiPort);
		const seed = emulator.seed;
		const connecting = JSON.parse(await proc.waitFor(/connecting to the gateway/, 90_000)) as { time: number };
		// The first /ping answered: the event path works (core commands are global and synced before readiness).
		let handledAt = 0;
		while (!handledAt) {
			const reply = await fetch(`${emulator.baseUrl}/_emulator/interactions`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.linus, command: 'ping' })
			});
			if (reply.status === 200) handledAt = Date.now();
			else await sleep(20);
			if (Date.now() - connecting.time > 60_000) throw new Error(`no /ping answer; output:\n${proc.lines.slice(-30).join('\n')}`);
		}
		const handledMs = handledAt - connecting.time;
		const putsAtHandled = guildPuts() - putsBefore;
		const ready = JSON.parse(await proc.waitFor(/Facet is ready/, 10_000)) as { time: number };
		const readyz = (await (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).json()) as {
			status: string;
			details: { commandSync: { state: string; pending: number } };
		};
		const metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
		// The machine's load changes from minute to minute: the reference is the slower of two bare runs around Facet's.
		const bare = Math.max(bareBefore, await bareClientReadyMs());
		console.info(
			`bare client ready ${bare} ms; Facet handled /ping ${handledMs} ms after connecting; guild PUTs by then: ${putsAtHandled}`
		);
		expect(handledMs).toBeLessThan(2 * bare);
		// Readiness itself (what /readyz and the start log report) does not wait for the sweep either.
		expect(ready.time - connecting.time).toBeLessThan(2 * bare);
		expect(putsAtHandled).toBeLessThan(GUILDS);
		expect(readyz.status).toBe('ready');
		expect(readyz.details.commandSync.state).toBe('syncing');
		expect(readyz.details.commandSync.pending).toBeGreaterThan(0);
		expect(Number(/^facet_command_sync_pending_guilds (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);

		// Stopped half-way, the next start sends only the guilds the first did not finish.
		while (guildPuts() - putsBefore < 200) await sleep(50);
		await stopBot(proc);
		const firstRun = guildPuts() - putsBefore;
		expect(firstRun).toBeLessThan(GUILDS);
		const second = await startBot(fresh.url);
		const secondRun = guildPuts() - putsBefore - firstRun;
		// A PUT answered just before the stop whose hash was not stored yet is sent again: at most one per worker.
		expect(secondRun).toBeGreaterThanOrEqual(GUILDS - firstRun);
		expect(secondRun).toBeLessThanOrEqual(GUILDS - firstRun + 4);
		const done = jsonLines(second.lines).find((line) => String(line.msg).startsWith('application commands in sync'));
		expect(done).toMatchObject({ failing: 0 });
		await stopBot(second);
	}, 240_000);
});

describe('application command sync across restarts', () => {
	it(`GIVEN ${GUILDS} guilds THEN the first start sends each guild its plugin commands (through injected 429s) and a restart sends no command write, only one verifying read per scope`, async () => {
		// Discord answers some of the sweep with 429: the sync waits and retries instead of skipping guilds.
		emulator.injectFault({ kind: 'rest_429', count: 5, route: '/commands', retry_after: 0.2 });
		const writesBefore = commandWrites();
		const first = await startBot();
		const sent = commandWrites() - writesBefore;
		// One global PUT plus one PUT per guild; the 429s are extra attempts.
		expect(sent).toBeGreaterThanOrEqual(GUILDS + 1);
		expect(emulator.stats.rateLimited).toBeGreaterThanOrEqual(5);
		const guildIds = emulator.snapshot().guilds.map((guild: { id: string }) => guild.id);
		expect(guildIds).toHaveLength(GUILDS);
		for (const id of guildIds) {
			const names = emulator.guildCommands(id).map((command) => String(command.name));
			expect(names).toEqual(expect.arrayContaining(['config', 'plugins', 'mileage', 'mileage-admin', 'ping']));
		}
		await stopBot(first);

		const before = commandWrites();
		const readsBefore = commandReads();
		const second = await startBot();
		expect(commandWrites() - before).toBe(0);
		// The stored hashes are a cache: each scope (global + every guild) is read back from Discord once.
		expect(commandReads() - readsBefore).toBe(GUILDS + 1);
		await stopBot(second);
	}, 240_000);
});
