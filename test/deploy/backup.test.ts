import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { container } from '@sapphire/framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardBot, startDashboardBot } from '../dashboard/helpers.ts';
import { createScratchDatabase, query, type ScratchDatabase, tableHashes } from '../helpers/postgres.ts';
import { ROOT } from '../helpers/process.ts';
import { controlRequest, interact, waitUntil } from '../helpers/sandbox.ts';

/*
 * Backups that are proven: a database with Facet's schema (its own migrations) and rows the running bot wrote
 * (messages counted into mileage, settings, plugin switches, a daily post, audit entries) is backed up with
 * scripts/backup.sh, restored with scripts/restore.sh into another database, and compared table by table.
 */

const run = promisify(execFile);
const backups = mkdtempSync(join(tmpdir(), 'facet-backups-'));
let source: ScratchDatabase;
let bot: DashboardBot | undefined;
const scratch: ScratchDatabase[] = [];

const script = (name: string, args: string[], env: Record<string, string> = {}) =>
	run('bash', [join(ROOT, 'scripts', name), ...args], { cwd: ROOT, env: { PATH: process.env.PATH!, ...env } }).then(
		({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
		(error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr })
	);

async function tablesOf(url: string): Promise<string[]> {
	const rows = await query<{ name: string }>(url, "select tablename as name from pg_tables where schemaname = 'public' order by 1");
	return rows.map((row) => row.name);
}

async function rowCounts(url: string, tables: readonly string[]): Promise<Record<string, number>> {
	const counts: Record<string, number> = {};
	for (const table of tables) counts[table] = Number((await query<{ n: string }>(url, `select count(*) as n from "${table}"`))[0]!.n);
	return counts;
}

beforeAll(async () => {
	// The bot migrates its database and writes to it as people use it.
	bot = await startDashboardBot({ MILEAGE_FLUSH_INTERVAL_MS: '200' });
	source = bot.db;
	const { emulator } = bot.handle;
	const { seed } = emulator;
	for (const [user, content] of [
		[seed.users.grace, 'good morning everyone — ☀️ "quotes", commas, and a\nnewline'],
		[seed.users.linus, 'hello'],
		[seed.users.ada, 'NUL-free but backslash \\ and tab\t']
	] as const) {
		const sent = await controlRequest(emulator, 'POST', '/_emulator/messages', {
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: user,
			content
		});
		expect(sent.status).toBe(201);
	}
	expect(
		(await interact(emulator, { user: seed.users.grace, command: 'config set timezone', options: { timezone: 'Asia/Tokyo' } })).status
	).toBe(200);
	// Where daily posts go, through the settings service the dashboard uses (it writes an audit entry too).
	await container.plugins.updateSettings(
		seed.guildId,
		'config',
		{ dailyChannel: seed.channels.daily },
		{ id: seed.users.ada, source: 'system' }
	);
	const added = await interact(emulator, {
		user: seed.users.grace,
		command: 'dailies post add',
		options: { time: '09:00', message: 'Good morning ☀️' }
	});
	expect(added.body.content).toMatch(/Daily post #\d+ saved/);
	await waitUntil(
		() => query<{ n: string }>(source.url, 'select count(*) as n from mileage_total'),
		(rows) => Number(rows[0]!.n) >= 3,
		15_000
	);
	// Stopped before the backup, so the source holds still while it is compared.
	const running = bot;
	bot = undefined;
	await running.handle.shutdown.run('backup test: data written');
}, 240_000);

afterAll(async () => {
	await bot?.handle.shutdown.run('test finished');
	await source?.drop();
	for (const db of scratch) await db.drop();
	rmSync(backups, { recursive: true, force: true });
});

describe('scripts/backup.sh and scripts/restore.sh', () => {
	it('GIVEN a database the bot wrote THEN backup, then restore into another database, gives identical row counts and checksums for every table', async () => {
		const tables = await tablesOf(source.url);
		expect(tables.length).toBeGreaterThanOrEqual(10);
		const sourceCounts = await rowCounts(source.url, tables);
		// The seeding reached the tables that matter: mileage, settings, posts, guilds, migrations, audit.
		for (const table of ['core_guild', 'core_migrations', 'core_plugin_state', 'mileage_total', 'mileage_event', 'dailies_post'])
			expect(sourceCounts[table], table).toBeGreaterThan(0);

		const backup = await script('backup.sh', [backups], { DATABASE_URL: source.url });
		expect(backup.stderr).toBe('');
		expect(backup.code).toBe(0);
		const file = backup.stdout.trim();
		expect(file).toMatch(/\/facet-\d{8}T\d{6}Z\.dump$/);
		expect(readdirSync(backups)).toEqual([file.split('/').at(-1)]);

		const target = await createScratchDatabase('facet_restore');
		scratch.push(target);
		const restored = await script('restore.sh', [file, target.url]);
		expect(restored.stderr).toBe('');
		expect(restored.code).toBe(0);

		expect(await tablesOf(target.url)).toEqual(tables);
		expect(await rowCounts(target.url, tables)).toEqual(sourceCounts);
		expect(await tableHashes(target.url, tables)).toEqual(await tableHashes(source.url, tables));
		// Sequences continue where they were: the next row gets a new id, not a restored one's.
		const sequences = "select sequencename, last_value::text from pg_sequences where schemaname = 'public' order by 1";
		expect(await query(target.url, sequences)).toEqual(await query(source.url, sequences));
	});

	it('GIVEN a database that already has tables THEN restore refuses without --replace and changes nothing; with it, the backup replaces them', async () => {
		const file = (await script('backup.sh', [backups], { DATABASE_URL: source.url })).stdout.trim();
		const target = await createScratchDatabase('facet_restore');
		scratch.push(target);
		expect((await script('restore.sh', [file, target.url])).code).toBe(0);
		await query(target.url, 'delete from mileage_total');
		const refused = await script('restore.sh', [file, target.url]);
		expect(refused.code).toBe(1);
		expect(refused.stderr).toContain('pass --replace');
		expect(await rowCounts(target.url, ['mileage_total'])).toEqual({ mileage_total: 0 });
		const replaced = await script('restore.sh', [file, target.url, '--replace']);
		expect(replaced.code).toBe(0);
		const tables = await tablesOf(source.url);
		expect(await tableHashes(target.url, tables)).toEqual(await tableHashes(source.url, tables));
	});

	it('GIVEN a file that is not a backup, or an unreachable database THEN nothing is kept or restored and the scripts say so', async () => {
		const bogus = join(backups, 'not-a-dump.bin');
		writeFileSync(bogus, 'hello');
		const target = await createScratchDatabase('facet_restore');
		scratch.push(target);
		const restored = await script('restore.sh', [bogus, target.url]);
		expect(restored.code).not.toBe(0);
		expect(await tablesOf(target.url)).toEqual([]);
		rmSync(bogus);

		const dir = mkdtempSync(join(tmpdir(), 'facet-backups-bad-'));
		try {
			const failed = await script('backup.sh', [dir], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' });
			expect(failed.code).not.toBe(0);
			// No file a later restore could mistake for a backup.
			expect(readdirSync(dir).filter((name) => name.endsWith('.dump'))).toEqual([]);
			expect((await script('backup.sh', [dir], { BACKUP_KEEP_DAILY: 'seven', DATABASE_URL: source.url })).code).toBe(2);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('backup retention (keep the last N daily and M weekly)', () => {
	/** Makes empty backups named for the given UTC times, prunes with the given limits, returns what is left. */
	async function prune(stamps: string[], env: Record<string, string>): Promise<string[]> {
		const dir = mkdtempSync(join(tmpdir(), 'facet-retention-'));
		try {
			for (const stamp of stamps) writeFileSync(join(dir, `facet-${stamp}.dump`), '');
			writeFileSync(join(dir, 'notes.txt'), 'not a backup');
			const result = await script('backup.sh', ['--prune-only', dir], env);
			expect(result.code).toBe(0);
			return readdirSync(dir).sort();
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}

	it('GIVEN 60 days of backups, two a day THEN the newest of each of the last 7 days and of each of the last 4 weeks stay', async () => {
		const stamps: string[] = [];
		// 2026-10-04 … 2026-12-02, 03:00 and 15:00 UTC.
		for (let day = 0; day < 60; day++) {
			const date = new Date(Date.UTC(2026, 9, 4 + day));
			const ymd = date.toISOString().slice(0, 10).replaceAll('-', '');
			stamps.push(`${ymd}T030000Z`, `${ymd}T150000Z`);
		}
		const left = await prune(stamps, { BACKUP_KEEP_DAILY: '7', BACKUP_KEEP_WEEKLY: '4' });
		expect(left).toEqual([
			// Weekly: the newest backup of ISO weeks 2026-W46 (Sun 15 Nov), W47 (Sun 22 Nov) and W48 (Sun 29 Nov);
			// W49's newest (2 Dec) is also the newest daily.
			'facet-20261115T150000Z.dump',
			'facet-20261122T150000Z.dump',
			// Daily: 26 Nov … 2 Dec, the later of each day's two.
			'facet-20261126T150000Z.dump',
			'facet-20261127T150000Z.dump',
			'facet-20261128T150000Z.dump',
			'facet-20261129T150000Z.dump',
			'facet-20261130T150000Z.dump',
			'facet-20261201T150000Z.dump',
			'facet-20261202T150000Z.dump',
			'notes.txt'
		]);
	});

	it('GIVEN gaps between backups THEN retention counts days and weeks that have a backup, not calendar time', async () => {
		const left = await prune(['20260101T000000Z', '20260301T000000Z', '20260302T000000Z', '20260601T000000Z'], {
			BACKUP_KEEP_DAILY: '2',
			BACKUP_KEEP_WEEKLY: '3'
		});
		// Daily: 1 Jun and 2 Mar. Weekly, newest first: 1 Jun (W23), 2 Mar (Monday, W10), 1 Mar (Sunday, W09).
		// 1 Jan is older than both windows, however long ago the others were.
		expect(left).toEqual(['facet-20260301T000000Z.dump', 'facet-20260302T000000Z.dump', 'facet-20260601T000000Z.dump', 'notes.txt']);
	});
});
