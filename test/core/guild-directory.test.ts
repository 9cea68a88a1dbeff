import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/core/database/config.ts';
import { recordGuilds } from '../../src/core/guild-directory.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';

let db: ScratchDatabase;
let orm: MikroORM;

beforeAll(async () => {
	db = await createScratchDatabase('facet_guild_directory');
	orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, poolMax: 2 }));
	await orm.migrator.up();
});

afterAll(async () => {
	await orm?.close();
	await db?.drop();
});

interface Row {
	id: string;
	name: string;
	joined_at: Date;
	left_at: Date | null;
}

describe('recordGuilds (the READY and join write of core_guild)', () => {
	it('GIVEN 1,000 guilds on READY, one known and marked left THEN every row is present, the known one renamed and back, its join date kept', async () => {
		await query(db.url, `insert into core_guild (id, name, joined_at, left_at) values ('100', 'old name', '2025-01-01', '2026-06-01')`);
		// Names as Discord allows them: quotes, backslashes, JSON-looking text, emoji, 100 characters.
		const awkward = [`it's "quoted" \\ here`, '{"id": "1"}', 'café 🎲 ギルド', 'x'.repeat(100)];
		const guilds = Array.from({ length: 1_000 }, (_, i) => ({ id: String(100 + i), name: i === 0 ? 'new name' : (awkward[i % 4] ?? '') }));

		await recordGuilds(orm, guilds);

		const rows = await query<Row>(db.url, 'select id, name, joined_at, left_at from core_guild order by id::bigint');
		expect(rows).toHaveLength(1_000);
		expect(rows.map(({ id, name }) => ({ id, name }))).toEqual(guilds);
		expect(rows.every((row) => row.left_at === null)).toBe(true);
		expect(rows[0]!.joined_at.toISOString()).toBe(new Date('2025-01-01').toISOString());
	});

	it('GIVEN a known guild again THEN no row is added and its name is updated; GIVEN none THEN nothing changes', async () => {
		await recordGuilds(orm, [{ id: '100', name: 'renamed again' }]);
		await recordGuilds(orm, []);
		const [count] = await query<{ n: string }>(db.url, 'select count(*) as n from core_guild');
		expect(Number(count!.n)).toBe(1_000);
		const [row] = await query<Row>(db.url, `select name from core_guild where id = '100'`);
		expect(row!.name).toBe('renamed again');
	});
});
