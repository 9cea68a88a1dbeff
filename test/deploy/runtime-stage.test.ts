import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { NODE, ROOT, type RunningProcess, runNode } from '../helpers/process.ts';
import { waitUntil } from '../helpers/sandbox.ts';

/*
 * The bot image's runtime stage without Docker, step by step as the Dockerfile does it: the build (tsup) into
 * dist/, a production install (`npm ci --omit=dev`) into a clean folder that has nothing else, the one-shot
 * migrate (`node dist/migrate.js`, compose's migrate service), then the start with MIGRATE_ON_START=false (the
 * bot service), until /readyz answers 200.
 */

const app = mkdtempSync(join(tmpdir(), 'facet-runtime-'));
const BUILD_DIR = 'dist-test-runtime';
let db: ScratchDatabase;
let fresh: ScratchDatabase;
let proc: RunningProcess | undefined;

beforeAll(async () => {
	// The build stage.
	execFileSync(NODE, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent', '--out-dir', BUILD_DIR], {
		cwd: ROOT,
		stdio: 'pipe'
	});
	// The deps stage: the manifests only, production dependencies only, no install scripts (as in the image).
	cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
	cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
	mkdirSync(join(app, 'dashboard'));
	cpSync(join(ROOT, 'dashboard', 'package.json'), join(app, 'dashboard', 'package.json'));
	execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: app,
		stdio: 'pipe',
		env: { ...process.env, NODE_ENV: 'production' }
	});
	// The runtime stage: node_modules + dist + package.json, nothing else.
	cpSync(join(ROOT, BUILD_DIR), join(app, 'dist'), { recursive: true });
	rmSync(join(app, 'package-lock.json'));
	rmSync(join(app, 'dashboard'), { recursive: true });
	db = await createScratchDatabase('facet_runtime');
	fresh = await createScratchDatabase('facet_runtime_fresh');
}, 300_000);

afterAll(async () => {
	if (proc && proc.child.exitCode === null) {
		proc.child.kill('SIGKILL');
		await proc.exited;
	}
	await db?.drop();
	await fresh?.drop();
	rmSync(join(ROOT, BUILD_DIR), { recursive: true, force: true });
	rmSync(app, { recursive: true, force: true });
});

const runtimeEnv = (databaseUrl: string, apiPort: number, emulatorPort: number) => ({
	NODE_ENV: 'production',
	LOG_FORMAT: 'json',
	API_HOST: '127.0.0.1',
	API_PORT: String(apiPort),
	EMULATOR_PORT: String(emulatorPort),
	DATA_DIR: join(app, 'data'),
	DATABASE_URL: databaseUrl,
	MIGRATE_ON_START: 'false',
	TASKS_QUEUE: `facet-runtime-${process.pid}-${apiPort}`
});

describe('the runtime stage outside Docker (production install, migrate, start)', () => {
	it('GIVEN only production dependencies THEN the dev tooling is absent from the clean folder', () => {
		expect(existsSync(join(app, 'node_modules', 'pg'))).toBe(true);
		for (const devOnly of ['vitest', 'tsup', 'typescript', '@biomejs', 'playwright-core', 'vite'])
			expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
	});

	it('GIVEN MIGRATE_ON_START=false and a database nobody migrated THEN the start refuses, naming the pending migrations and the command', async () => {
		const refused = runNode(['dist/main.js'], runtimeEnv(fresh.url, await freePort(), await freePort()), { cwd: app });
		const { code } = await refused.exited;
		expect(code).toBe(1);
		expect(refused.lines.join('\n')).toMatch(
			/MIGRATE_ON_START is false and \d+ migration\(s\) are pending \(core\/Migration.*node dist\/migrate\.js/
		);
		// It applied nothing (MikroORM's pending check creates its empty bookkeeping table, nothing else).
		expect(await query(fresh.url, "select tablename from pg_tables where schemaname = 'public'")).toEqual([
			{ tablename: 'core_migrations' }
		]);
		expect(await query(fresh.url, 'select name from core_migrations')).toEqual([]);
	}, 120_000);

	it('GIVEN node dist/migrate.js, then node dist/main.js with MIGRATE_ON_START=false THEN /readyz answers 200', async () => {
		const migrate = runNode(['dist/migrate.js'], { DATABASE_URL: db.url, LOG_FORMAT: 'json', NODE_ENV: 'production' }, { cwd: app });
		expect((await migrate.exited).code).toBe(0);
		const applied = await query<{ name: string }>(db.url, 'select name from core_migrations order by name');
		expect(applied.length).toBeGreaterThan(0);

		const apiPort = await freePort();
		const emulatorPort = await freePort();
		proc = runNode(['dist/main.js'], runtimeEnv(db.url, apiPort, emulatorPort), { cwd: app });
		const ready = await waitUntil(
			() =>
				fetch(`http://127.0.0.1:${apiPort}/readyz`).then(
					async (response) => ({ status: response.status, body: (await response.json()) as { status: string } }),
					() => ({ status: 0, body: { status: 'down' } })
				),
			(answer) => answer.status === 200,
			90_000
		);
		expect(ready.body.status).toBe('ready');
		// The start applied nothing itself: the one-shot did.
		expect(proc.lines.some((line) => line.includes('"migrations applied"'))).toBe(false);
		expect(await query(db.url, 'select name from core_migrations order by name')).toEqual(applied);

		// The build has no piece files: Sapphire took every command, listener, route and precondition used below from
		// the one bundle (src/core/piece-bundle.ts).
		expect(existsSync(join(app, 'dist', 'core', 'bundled-pieces.js'))).toBe(true);
		expect(existsSync(join(app, 'dist', 'commands', 'ping.js'))).toBe(false);
		// The build bundles the ORM, pg, zod and prom-client into its chunks (tsup.config.ts): the paths that use
		// them work from the build as from the sources. A command through the database, a message through mileage's
		// award and flush (the ORM's unit of work and raw SQL on pg), a command option refused by zod, /metrics.
		const emulator = `http://127.0.0.1:${emulatorPort}/_emulator`;
		const state = (await (await fetch(`${emulator}/state`)).json()) as {
			guilds: { id: string; name: string; channels: { id: string; name: string }[] }[];
			users: { id: string; username: string }[];
		};
		const guild = state.guilds.find((g) => g.name === 'Facet Sandbox')!;
		const general = guild.channels.find((c) => c.name === 'general')!;
		const linus = state.users.find((u) => u.username === 'linus')!;
		const post = (path: string, body: unknown) =>
			fetch(`${emulator}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const ping = await post('interactions', { guild_id: guild.id, channel_id: general.id, user_id: linus.id, command: 'ping' });
		expect(((await ping.json()) as { content: string }).content).toMatch(/^Pong! Gateway: .+ · Database: \d+\.\d ms$/);
		expect(
			(await post('messages', { guild_id: guild.id, channel_id: general.id, user_id: linus.id, content: 'a message long enough to count' }))
				.status
		).toBe(201);
		const totals = await waitUntil(
			() =>
				query<{ points: string }>(db.url, 'select points from mileage_total where guild_id = $1 and user_id = $2', [guild.id, linus.id]),
			(rows) => rows.length === 1,
			30_000
		);
		expect(Number(totals[0]!.points)).toBeGreaterThan(0);
		const refused = await post('interactions', {
			guild_id: guild.id,
			channel_id: general.id,
			user_id: state.users.find((u) => u.username === 'ada')!.id,
			command: 'config set timezone',
			options: { timezone: 'Mars/Olympus_Mons' }
		});
		expect(((await refused.json()) as { content: string }).content).toContain('IANA');
		const metrics = await fetch(`http://127.0.0.1:${apiPort}/metrics`);
		expect(metrics.status).toBe(200);
		expect(await metrics.text()).toMatch(/^facet_mileage_flushes_total\b/m);
		proc.child.kill('SIGTERM');
		expect((await proc.exited).code).toBe(0);
	}, 150_000);
});
