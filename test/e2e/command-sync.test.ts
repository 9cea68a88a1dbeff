import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/postgres.ts';
import { type RunningProcess, runNode } from '../helpers/process.ts';

const GUILDS = 1_000;
let db: ScratchDatabase;
let emulator: Emulator;
const running: RunningProcess[] = [];

beforeAll(async () => {
	db = await createScratchDatabase();
	emulator = new Emulator({ port: await freePort() });
	await emulator.start();
	for (let i = 1; i < GUILDS; i++) emulator.createGuild({ name: `Guild ${i}` });
});

afterAll(async () => {
	for (const proc of running) proc.child.kill('SIGKILL');
	await emulator?.stop();
	await db?.drop();
});

async function startBot(): Promise<RunningProcess> {
	const proc = runNode(['src/main.ts'], {
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: db.url,
		API_PORT: String(await freePort()),
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-sync-${process.pid}`
	});
	running.push(proc);
	await proc.waitFor(/Facet is ready/, 120_000);
	return proc;
}

async function stopBot(proc: RunningProcess) {
	proc.child.kill('SIGTERM');
	expect((await proc.exited).code).toBe(0);
}

/** REST calls to application-command routes so far. */
const commandRequests = () =>
	Object.entries(emulator.stats.restByRoute)
		.filter(([route]) => route.includes('/commands'))
		.reduce((sum, [, count]) => sum + count, 0);

describe('application command sync across restarts', () => {
	it(`GIVEN ${GUILDS} guilds THEN the first start sends each guild its plugin commands (through injected 429s) and a restart sends no command request`, async () => {
		// Discord answers some of the sweep with 429: the sync waits and retries instead of skipping guilds.
		emulator.injectFault({ kind: 'rest_429', count: 5, route: '/commands', retry_after: 0.2 });
		const first = await startBot();
		const sent = commandRequests();
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

		const before = commandRequests();
		const second = await startBot();
		expect(commandRequests() - before).toBe(0);
		await stopBot(second);
	}, 240_000);
});
