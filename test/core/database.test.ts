import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsList } from '../../migrations/index.ts';
import { createOrmConfig } from '../../src/core/database/config.ts';
import { startEmbeddedDatabase } from '../../src/core/database/embedded.ts';
import { CoreGuild } from '../../src/core/entities/CoreGuild.ts';
import { pluginEntities } from '../../src/core/plugins/entities.ts';
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
		const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, entities: pluginEntities(), poolMax: 2 }));
		const applied = await orm.migrator.up();
		expect(applied.map((m) => m.name)).toEqual(migrationsList.map((m) => m.name));
		const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
		expect(diff.trim()).toBe('');
		await orm.close();
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

	it('GIVEN the build output only THEN `node dist/core/database/migrate-cli.js` applies every migration', async () => {
		const proc = runNode([`${BUILD_DIR}/core/database/migrate-cli.js`], { DATABASE_URL: db.url, LOG_FORMAT: 'json' });
		const { code } = await proc.exited;
		expect(code, proc.lines.join('\n')).toBe(0);
		const rows = await query<{ name: string }>(db.url, 'select name from core_migrations order by id');
		expect(rows.map((r) => r.name)).toEqual(migrationsList.map((m) => m.name));
		const tables = await query<{ table_name: string }>(
			db.url,
			"select table_name from information_schema.tables where table_name = 'core_guild'"
		);
		expect(tables).toHaveLength(1);
	});
});
