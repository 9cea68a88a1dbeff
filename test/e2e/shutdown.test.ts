import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { jsonLines, runNode } from '../helpers/process.ts';

let db: ScratchDatabase;
let emulator: Emulator;

beforeAll(async () => {
	db = await createScratchDatabase();
	emulator = new Emulator({ port: await freePort() });
	await emulator.start();
});

afterAll(async () => {
	await emulator.stop();
	await db.drop();
});

const post = (path: string, body: unknown) =>
	fetch(`${emulator.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('SIGTERM during work', () => {
	it('GIVEN guild joins and commands in flight THEN the process exits 0 within 10 s and every accepted write and reply is there', async () => {
		const proc = runNode(['src/main.ts'], {
			EMULATOR_URL: emulator.baseUrl,
			DATABASE_URL: db.url,
			API_PORT: String(await freePort()),
			LOG_FORMAT: 'json',
			LOG_LEVEL: 'debug',
			TASKS_QUEUE: `facet-test-shutdown-${process.pid}`
		});
		await proc.waitFor(/Facet is ready/, 60_000);
		const { seed } = emulator;

		// Work arrives: 30 guilds join, 20 members run /ping at once.
		const joins = Array.from({ length: 30 }, (_, i) => post('/_emulator/guilds', { name: `Shutdown ${i}` }));
		const pings = Array.from({ length: 20 }, () =>
			post('/_emulator/interactions', {
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.linus,
				command: 'ping'
			})
		);
		await Promise.all(joins);
		await proc.waitFor((line) => line.includes('"joined guild"'), 10_000);
		const signalled = performance.now();
		proc.child.kill('SIGTERM');
		const { code } = await proc.exited;
		const exitMs = performance.now() - signalled;
		expect(code, proc.lines.slice(-30).join('\n')).toBe(0);
		expect(exitMs).toBeLessThan(10_000);

		// Every guild the bot said it accepted is stored.
		const accepted = jsonLines(proc.lines)
			.filter((line) => line.msg === 'joined guild')
			.map((line) => line.guildId as string);
		expect(accepted.length).toBeGreaterThan(0);
		const rows = await query<{ id: string }>(db.url, 'select id from core_guild where id = any($1)', [accepted]);
		expect(rows.map((row) => row.id).sort()).toEqual([...new Set(accepted)].sort());

		// Every /ping the bot started was answered; none was cut off mid-way.
		const started = jsonLines(proc.lines).filter((line) => line.msg === 'command started').length;
		expect(started).toBeGreaterThan(0);
		const answers = await Promise.all(pings.map(async (p) => (await p).status));
		expect(answers.filter((status) => status === 200).length).toBeGreaterThanOrEqual(started);
		expect(proc.lines.join('\n')).toContain('shutdown complete');
	}, 90_000);
});

describe('SIGTERM while starting', () => {
	it('GIVEN a signal before the bot is ready THEN what was started stops in order, the embedded database child too, exit 0', async () => {
		const { mkdtempSync, rmSync } = await import('node:fs');
		const { tmpdir } = await import('node:os');
		const { join } = await import('node:path');
		const dataDir = mkdtempSync(join(tmpdir(), 'facet-early-'));
		try {
			const proc = runNode(['src/main.ts'], {
				DATABASE_URL: undefined,
				DATA_DIR: dataDir,
				EMULATOR_PORT: String(await freePort()),
				API_PORT: String(await freePort()),
				LOG_FORMAT: 'json',
				TASKS_QUEUE: `facet-test-early-${process.pid}`
			});
			// A fresh data dir makes the embedded database take seconds to open: signal while its host is opening it.
			const hostsOf = async () => {
				const { readdirSync, readFileSync } = await import('node:fs');
				return readdirSync('/proc')
					.filter((entry) => /^\d+$/.test(entry))
					.filter((pid) => {
						try {
							return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`"dataDir":"${dataDir}`);
						} catch {
							return false;
						}
					});
			};
			for (let i = 0; i < 200 && (await hostsOf()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
			expect(await hostsOf()).toHaveLength(1);
			expect(proc.lines.join('\n')).not.toContain('embedded database started');
			const signalled = performance.now();
			proc.child.kill('SIGTERM');
			const { code } = await proc.exited;
			expect(code, proc.lines.join('\n')).toBe(0);
			expect(performance.now() - signalled).toBeLessThan(10_000);
			expect(proc.lines.join('\n')).not.toContain('Facet is ready');
			expect(proc.lines.join('\n')).not.toContain('failed to start');
			// No PGlite host left behind (it finishes opening, closes the database and exits).
			// Opening a fresh data dir takes 3–8 s on an idle machine and far longer on a loaded one: wait for the
			// condition, with a generous bound, not a fixed time.
			const deadline = Date.now() + 60_000;
			while ((await hostsOf()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
			expect(await hostsOf()).toEqual([]);
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	}, 120_000);
});
