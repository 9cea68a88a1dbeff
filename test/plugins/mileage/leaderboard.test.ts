import { MikroORM } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import { plugins as builtInPlugins } from '../../../src/plugins/index.ts';
import { leaderboardPage } from '../../../src/plugins/mileage/lib/store.ts';
import { createScratchDatabase, type ScratchDatabase } from '../../helpers/postgres.ts';

let db: ScratchDatabase;
let orm: MikroORM;

beforeAll(async () => {
	db = await createScratchDatabase();
	orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 2 }));
	await orm.migrator.up();
});

afterAll(async () => {
	await orm?.close();
	await db?.drop();
});

describe('leaderboard pages', () => {
	it('GIVEN any totals with ties THEN every page lists members by points then id, with competition ranks (1 + ranked members with more points; 0 is unranked)', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.integer({ min: -5, max: 8 }), { minLength: 0, maxLength: 40 }),
				fc.integer({ min: 1, max: 7 }),
				async (points, pageSize) => {
					const em = orm.em.fork();
					await em.execute('delete from mileage_total', [], 'run');
					const rows = points.map((p, i) => ({ userId: String(100000000000000000n + BigInt(i)), points: p }));
					if (rows.length) {
						await em.execute(
							`insert into mileage_total (guild_id, user_id, points) values ${rows.map(() => "('1', ?, ?)").join(', ')}`,
							rows.flatMap((r) => [r.userId, r.points]),
							'run'
						);
					}
					const expected = rows
						.filter((r) => r.points !== 0)
						.sort((a, b) => b.points - a.points || a.userId.localeCompare(b.userId))
						.map((r) => ({
							userId: r.userId,
							points: r.points,
							rank: 1 + rows.filter((o) => o.points !== 0 && o.points > r.points).length
						}));
					const pages = Math.max(1, Math.ceil(expected.length / pageSize));
					const seen = [];
					for (let page = 1; page <= pages; page++) {
						const result = await leaderboardPage(em, '1', page, pageSize);
						expect(result.members).toBe(expected.length);
						expect(result.pages).toBe(pages);
						seen.push(...result.entries);
					}
					expect(seen).toEqual(expected);
				}
			),
			{ numRuns: 60 }
		);
	});
});
