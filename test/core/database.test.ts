import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig, migrationsOf } from '../../src/core/database/config.ts';
import { startEmbeddedDatabase } from '../../src/core/database/embedded.ts';
import { migrate } from '../../src/core/database/migrations.ts';
import { CoreGuild } from '../../src/core/entities/CoreGuild.ts';
import { plugins as builtInPlugins } from '../../src/plugins/index.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { NODE, ROOT, runNode } from '../helpers/process.ts';

describe('embedded database (PGlite behind pglite-socket)', () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'facet-pglite-'));
	afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

	it('GIVEN no DATABASE_URL THEN a child process hosts it, the normal driver migrates and writes, and data survives a restart', async () => {
		const first = await startEmbeddedDatabase({ dataDir });
		expect(first.pid).not.toBe(process.pid);
		expect(first.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
		let orm = await MikroORM.init(createOrmConfig({ clientUrl: first.url, poolMax: 4 }));
		await orm.migrator.up();
		await orm.em.fork().insert(CoreGuild, { id: '42', name: 'kept across restarts' });

		// The bot's event loop stays free while the child works: measure timer lag during a heavy query.
		let maxLag = 0;
		let last = performance.now();
		const ticker = setInterval(() => {
			const now = performance.now();
			maxLag = Math.max(maxLag, now - last - 10);
			last = now;
		}, 10);
		await orm.em.fork().getConnection().execute('select count(*) from generate_series(1, 300000)');
		clearInterval(ticker);
		expect(maxLag).toBeLessThan(100);

		await orm.close();
		await first.stop();

		const second = await startEmbeddedDatabase({ dataDir });
		orm = await MikroORM.init(createOrmConfig({ clientUrl: second.url, poolMax: 4 }));
		expect(await orm.migrator.getPending()).toHaveLength(0);
		const row = await orm.em.fork().findOne(CoreGuild, { id: '42' });
		expect(row?.name).toBe('kept across restarts');
		await orm.close();
		await second.stop();
	});
});

describe('migrations on the real PostgreSQL', () => {
	let db: ScratchDatabase;
	beforeAll(async () => {
		db = await createScratchDatabase();
	});
	afterAll(async () => {
		await db.drop();
	});

	it('GIVEN the entity definitions of the core and every listed plugin THEN the committed migrations already produce them (no pending schema diff)', async () => {
		const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 2 }));
		const applied = await orm.migrator.up();
		expect(applied.map((m) => m.name)).toEqual(migrationsOf(builtInPlugins).map((m) => m.name));
		const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
		expect(diff.trim()).toBe('');
		await orm.close();
	});
});

describe('plugins own their schema', () => {
	const tables = async (url: string) =>
		(await query<{ table_name: string }>(url, "select table_name from information_schema.tables where table_schema = 'public'"))
			.map((row) => row.table_name)
			.sort();

	it('GIVEN a plugin removed from the list THEN its tables are neither created nor migrated', async () => {
		const db = await createScratchDatabase();
		try {
			const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: [], poolMax: 2 }));
			const { applied } = await migrate(orm);
			await orm.close();
			expect(applied).toEqual(['core/Migration20261122164725', 'core/Migration20261202020000']);
			const names = await tables(db.url);
			expect(names).toContain('core_plugin_state');
			expect(names.filter((name) => name.startsWith('mileage_'))).toEqual([]);
		} finally {
			await db.drop();
		}
	});

	it('GIVEN a database whose migrations were recorded by their bare names THEN none is applied twice and each is recorded under its owner', async () => {
		const db = await createScratchDatabase();
		try {
			let orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 2 }));
			await migrate(orm);
			await orm.close();
			// How a database made before owned migrations looks: the same migrations under their bare names.
			await query(db.url, "update core_migrations set name = split_part(name, '/', 2)");
			orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 2 }));
			const { applied, adopted } = await migrate(orm);
			await orm.close();
			expect(applied).toEqual([]);
			expect(adopted.sort()).toEqual(
				migrationsOf(builtInPlugins)
					.map((m) => m.name)
					.sort()
			);
			const rows = await query<{ name: string }>(db.url, 'select name from core_migrations order by id');
			expect(rows.map((r) => r.name)).toEqual(migrationsOf(builtInPlugins).map((m) => m.name));
		} finally {
			await db.drop();
		}
	});

	it("GIVEN FACET_EXTRA_PLUGINS THEN `npm run migrate` applies that plugin's migrations, as the bot's start does", async () => {
		const db = await createScratchDatabase();
		try {
			const proc = runNode(['src/migrate.ts'], {
				DATABASE_URL: db.url,
				LOG_FORMAT: 'json',
				FACET_EXTRA_PLUGINS: join(ROOT, 'test', 'fixtures', 'plugins', 'echo', 'index.ts')
			});
			const { code } = await proc.exited;
			expect(code, proc.lines.join('\n')).toBe(0);
			expect(await tables(db.url)).toContain('echo_entry');
			const rows = await query<{ name: string }>(db.url, "select name from core_migrations where name like 'echo/%'");
			expect(rows.map((r) => r.name)).toEqual(['echo/EchoInitial']);
		} finally {
			await db.drop();
		}
	});
});

describe('migrations from the built output (the production path)', () => {
	const BUILD_DIR = 'dist-test-migrate';
	let db: ScratchDatabase;
	beforeAll(async () => {
		db = await createScratchDatabase();
		// A separate build folder, so a concurrent `npm run build` or test never sees a half-written dist/.
		execFileSync(NODE, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent', '--out-dir', BUILD_DIR], {
			cwd: ROOT,
			stdio: 'pipe'
		});
	}, 120_000);
	afterAll(async () => {
		await db.drop();
		rmSync(join(ROOT, BUILD_DIR), { recursive: true, force: true });
	});

	it('GIVEN the build output only THEN `node dist/migrate.js` applies every migration', async () => {
		const proc = runNode([`${BUILD_DIR}/migrate.js`], { DATABASE_URL: db.url, LOG_FORMAT: 'json' });
		const { code } = await proc.exited;
		expect(code, proc.lines.join('\n')).toBe(0);
		const rows = await query<{ name: string }>(db.url, 'select name from core_migrations order by id');
		expect(rows.map((r) => r.name)).toEqual(migrationsOf(builtInPlugins).map((m) => m.name));
		const tables = await query<{ table_name: string }>(
			db.url,
			"select table_name from information_schema.tables where table_name = 'core_guild'"
		);
		expect(tables).toHaveLength(1);
	});
});
