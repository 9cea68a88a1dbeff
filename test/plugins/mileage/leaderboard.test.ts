import { type EntityManager, MikroORM } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import { plugins as builtInPlugins } from '../../../src/plugins/index.ts';
import { RankCache, RankTable } from '../../../src/plugins/mileage/lib/ranks.ts';
import { InvalidCursorError, leaderboardPage } from '../../../src/plugins/mileage/lib/store.ts';
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

/**
 * Replaces guild 1's totals with `points` (one member each) and answers the leaderboard they make, by the rule:
 * members with points by points then id, ranked 1 + ranked members with more points; 0 is unranked.
 */
async function seedTotals(em: EntityManager, points: number[]) {
	await em.execute('delete from mileage_total', [], 'run');
	const rows = points.map((p, i) => ({ userId: String(100000000000000000n + BigInt(i)), points: p }));
	if (rows.length) {
		await em.execute(
			`insert into mileage_total (guild_id, user_id, points) values ${rows.map(() => "('1', ?, ?)").join(', ')}`,
			rows.flatMap((r) => [r.userId, r.points]),
			'run'
		);
	}
	return rows
		.filter((r) => r.points !== 0)
		.sort((a, b) => b.points - a.points || a.userId.localeCompare(b.userId))
		.map((r) => ({ userId: r.userId, points: r.points, rank: 1 + rows.filter((o) => o.points !== 0 && o.points > r.points).length }));
}

describe('leaderboard pages', () => {
	it('GIVEN any totals with ties THEN every page lists members by points then id, with competition ranks (1 + ranked members with more points; 0 is unranked)', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.integer({ min: -5, max: 8 }), { minLength: 0, maxLength: 40 }),
				fc.integer({ min: 1, max: 7 }),
				async (points, pageSize) => {
					const em = orm.em.fork();
					const expected = await seedTotals(em, points);
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

	it('GIVEN any totals with ties THEN walking by cursor, jumping to a rank and finding a member give the same order, ranks and pages as page numbers', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.integer({ min: -4, max: 6 }), { minLength: 0, maxLength: 40 }),
				fc.integer({ min: 1, max: 7 }),
				fc.integer({ min: 1, max: 45 }),
				async (points, pageSize, askedRank) => {
					const em = orm.em.fork();
					const expected = await seedTotals(em, points);
					// By cursor: every member once, in order, the page numbers counting up.
					const walked = [];
					let view = await leaderboardPage(em, '1', 1, pageSize);
					for (let page = 1; ; page++) {
						expect(view.page).toBe(page);
						expect(view.position).toBe((page - 1) * pageSize + 1);
						walked.push(...view.entries);
						if (!view.next) break;
						view = await leaderboardPage(em, '1', { after: view.next }, pageSize);
					}
					expect(walked).toEqual(expected);

					// Jump to a rank: the page holding the first member ranked that or worse (ties skip ranks).
					const target = expected.findIndex((entry) => entry.rank >= askedRank);
					const jumped = await leaderboardPage(em, '1', { rank: askedRank }, pageSize);
					if (target === -1) expect(jumped.entries).toEqual([]);
					else {
						expect(jumped.page).toBe(Math.floor(target / pageSize) + 1);
						expect(jumped.entries).toContainEqual(expected[target]);
					}

					// Find my page: each member is on the page the route says.
					for (const [index, entry] of expected.entries()) {
						const mine = await leaderboardPage(em, '1', { userId: entry.userId }, pageSize);
						expect(mine.page).toBe(Math.floor(index / pageSize) + 1);
						expect(mine.entries).toContainEqual(entry);
					}
				}
			),
			{ numRuns: 40 }
		);
	});

	it('GIVEN a cursor this server did not make THEN it is refused, not read', async () => {
		await expect(leaderboardPage(orm.em.fork(), '1', { after: "1_2'; drop table x;--_3" }, 10)).rejects.toBeInstanceOf(InvalidCursorError);
		await expect(leaderboardPage(orm.em.fork(), '1', { after: '0_100000000000000000_1' }, 10)).rejects.toBeInstanceOf(InvalidCursorError);
	});
});

describe('rank tables', () => {
	const table = new RankTable([
		{ points: 50, members: 2 },
		{ points: 20, members: 3 },
		{ points: -5, members: 1 }
	]);

	it('GIVEN grouped totals THEN ranks, positions and rank jumps follow competition ranking', () => {
		expect(table.members).toBe(6);
		expect([table.rankOf(60), table.rankOf(50), table.rankOf(30), table.rankOf(20), table.rankOf(-5), table.rankOf(0)]).toEqual([
			1,
			1,
			3,
			3,
			6,
			null
		]);
		expect([1, 2, 3, 5, 6, 7].map((position) => table.locate(position))).toEqual([
			{ points: 50, offset: 0 },
			{ points: 50, offset: 1 },
			{ points: 20, offset: 0 },
			{ points: 20, offset: 2 },
			{ points: -5, offset: 0 },
			null
		]);
		// Rank 2 is skipped by the tie at 1: jumping to it lands on rank 3.
		expect([1, 2, 3, 4, 6, 7].map((rank) => table.positionOfRank(rank))).toEqual([1, 3, 3, 6, 6, null]);
	});

	it('GIVEN totals that move THEN the table follows without a reload (ties, new members, members falling to 0)', () => {
		const moved = table.withChanges([
			{ before: 20, after: 60 },
			{ before: 0, after: 20 },
			{ before: -5, after: 0 }
		]);
		expect(moved.values).toEqual([60, 50, 20]);
		expect(moved.counts).toEqual([1, 2, 3]);
		expect(moved.members).toBe(6);
		expect(moved.rankOf(50)).toBe(2);
	});

	it('GIVEN any members and any moves of their totals THEN the updated table equals one built from the new totals', () => {
		const grouped = (totals: readonly number[]) => {
			const counts = new Map<number, number>();
			for (const points of totals) if (points !== 0) counts.set(points, (counts.get(points) ?? 0) + 1);
			return new RankTable([...counts].sort((a, b) => b[0] - a[0]).map(([points, members]) => ({ points, members })));
		};
		fc.assert(
			fc.property(
				fc.array(fc.integer({ min: -20, max: 40 }), { maxLength: 60 }),
				fc.array(fc.tuple(fc.nat(), fc.integer({ min: -20, max: 40 })), { maxLength: 40 }),
				(totals, moves) => {
					const now = [...totals];
					const changes: { before: number; after: number }[] = [];
					for (const [index, after] of moves) {
						if (now.length === 0) break;
						const at = index % now.length;
						changes.push({ before: now[at]!, after });
						now[at] = after;
					}
					const moved = grouped(totals).withChanges(changes);
					const fresh = grouped(now);
					expect([moved.values, moved.counts, moved.above, moved.members]).toEqual([
						fresh.values,
						fresh.counts,
						fresh.above,
						fresh.members
					]);
				}
			),
			{ numRuns: 300 }
		);
	});

	it('GIVEN a cache THEN only the first read waits: an old table is served while it rebuilds, and changes made here apply at once', async () => {
		let loads = 0;
		let release: () => void = () => undefined;
		let pending = Promise.resolve();
		const cache = new RankCache(
			async () => {
				loads++;
				await pending;
				return new RankTable([{ points: 10 * loads, members: 1 }]);
			},
			{ ttlMs: 1_000 }
		);
		expect((await cache.get('g', 0)).values).toEqual([10]);
		expect((await cache.get('g', 500)).values).toEqual([10]);
		expect(loads).toBe(1);
		cache.apply([{ guildId: 'g', before: 0, after: 5 }]);
		expect((await cache.get('g', 600)).values).toEqual([10, 5]);
		expect(loads).toBe(1);
		// Old: served at once while the rebuild waits.
		pending = new Promise<void>((resolve) => (release = resolve));
		expect((await cache.get('g', 1_500)).values).toEqual([10, 5]);
		expect(loads).toBe(2);
		release();
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect((await cache.get('g', 1_600)).values).toEqual([20]);
	});

	it('GIVEN shared change counters THEN a change by another process rebuilds the table, a change made here does not', async () => {
		let count = 0;
		let loads = 0;
		const versions = { bump: async () => ++count, read: async () => count };
		const cache = new RankCache(
			async () => {
				loads++;
				return new RankTable([{ points: 10, members: loads }]);
			},
			{ versions, checkMs: 100 }
		);
		const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
		expect((await cache.get('g', 0)).members).toBe(1);
		// Here: applied in memory, the counter moves by exactly this change, no reload.
		cache.apply([{ guildId: 'g', before: 0, after: 3 }]);
		await settle();
		await cache.get('g', 200);
		await settle();
		expect((await cache.get('g', 250)).members).toBe(2);
		expect(loads).toBe(1);
		// Elsewhere: the counter moved without us; the next check marks the table and it is rebuilt.
		count += 1;
		await cache.get('g', 400);
		await settle();
		await cache.get('g', 450);
		await settle();
		expect(loads).toBe(2);
		expect((await cache.get('g', 500)).members).toBe(2);
	});
	it("GIVEN a check that reads the counter while this process's own bump is still answering THEN the table is not rebuilt for it", async () => {
		let count = 0;
		let loads = 0;
		let answerBump: () => void = () => undefined;
		// The bump reaches Redis at once but its answer is held back, as on a busy connection.
		const versions = {
			bump: () => {
				const value = ++count;
				return new Promise<number>((resolve) => (answerBump = () => resolve(value)));
			},
			read: async () => count
		};
		const cache = new RankCache(
			async () => {
				loads++;
				return new RankTable([{ points: 10, members: 1 }]);
			},
			{ versions, checkMs: 100 }
		);
		const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
		await cache.get('g', 0);
		cache.apply([{ guildId: 'g', before: 0, after: 3 }]);
		await cache.get('g', 200);
		await settle();
		answerBump();
		await settle();
		await cache.get('g', 400);
		await settle();
		await cache.get('g', 450);
		await settle();
		expect(loads).toBe(1);
		expect((await cache.get('g', 500)).values).toEqual([10, 3]);
	});
});
