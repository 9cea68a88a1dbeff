// Leaderboard requests on a guild with 100k members at a steady 100 requests/s, spread over the first, middle
// and last pages: Facet's keyset read with cached ranks, against a baseline of the previous implementation
// (OFFSET walk plus a count(*) per request) on the same data, in one run. Every 5 s 1,000 totals move (what a
// flush does), so keeping ranks current is part of what is measured. The public leaderboard's read (the same page,
// then which of its members hid themselves, with 1% of the guild hidden) is measured in the same run.
import type { EntityManager } from '@mikro-orm/postgresql';
import { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { createOrmConfig } from '../src/core/database/config.ts';
import { migrate } from '../src/core/database/migrations.ts';
import { plugins as builtInPlugins } from '../src/plugins/index.ts';
import { hiddenAmong } from '../src/plugins/mileage/lib/privacy.ts';
import { loadRankTable, RankCache } from '../src/plugins/mileage/lib/ranks.ts';
import { leaderboardPage } from '../src/plugins/mileage/lib/store.ts';
import { createScratchDatabase } from '../test/helpers/postgres.ts';
import { benchMain, load, percentile, QUICK } from './lib.ts';

const MEMBERS = Number(process.env.BENCH_LEADERBOARD_MEMBERS ?? 100_000);
const RATE = Number(process.env.BENCH_LEADERBOARD_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_LEADERBOARD_SECONDS ?? (QUICK ? 5 : 10));
const PAGE_SIZE = 10;

/** The implementation this replaces: OFFSET to the page, and a count(*) for the page count, per request. */
async function offsetPage(em: EntityManager, guildId: string, page: number, pageSize: number) {
	const rows = await em.execute<{ user_id: string; points: string }[]>(
		'select user_id, points from mileage_total where guild_id = ? and points <> 0 order by points desc, user_id asc limit ? offset ?',
		[guildId, pageSize, (page - 1) * pageSize]
	);
	const [first] = rows;
	const [above] = first
		? await em.execute<{ n: string }[]>('select count(*) as n from mileage_total where guild_id = ? and points > ? and points <> 0', [
				guildId,
				first.points
			])
		: [{ n: '0' }];
	const [count] = await em.execute<{ n: string }[]>('select count(*) as n from mileage_total where guild_id = ? and points <> 0', [
		guildId
	]);
	return { rows, above: Number(above!.n), members: Number(count!.n) };
}

/** Sends requests at a fixed rate (open loop: a slow answer does not slow the next start) and times each. */
async function atRate(request: (index: number) => Promise<unknown>): Promise<{ p50: number; p99: number; max: number; n: number }> {
	const total = RATE * SECONDS;
	const latencies: number[] = [];
	const inFlight: Promise<void>[] = [];
	const started = performance.now();
	for (let index = 0; index < total; index++) {
		const due = started + (index * 1_000) / RATE;
		const wait = due - performance.now();
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		inFlight.push(
			(async () => {
				// Latency from when the request was due, so queueing behind a slow one counts.
				await request(index);
				latencies.push(performance.now() - due);
			})()
		);
	}
	await Promise.all(inFlight);
	latencies.sort((a, b) => a - b);
	return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1)!, n: latencies.length };
}

/** p99 of leaderboard requests at RATE/s over the first, middle and last pages, Facet vs the previous implementation. */
export async function leaderboardBench(): Promise<Record<string, unknown>> {
	const db = await createScratchDatabase('facet_bench');
	let closeRedis: () => Promise<void> = async () => undefined;
	// Pool of 10, as the bot runs with.
	const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 10 }));
	try {
		await migrate(orm);
		const em = orm.em.fork();
		// Two guilds of MEMBERS each, points with many ties, as a busy server has.
		for (const guild of ['1', '2']) {
			await em.execute(
				`insert into mileage_total (guild_id, user_id, points) select ?, (100000000000000000 + g)::text, (random() * 50000)::int - 100 from generate_series(1, ?) g`,
				[guild, MEMBERS],
				'run'
			);
		}
		// 1% of the guild hid from the public leaderboard (`/mileage privacy`).
		await em.execute(
			`insert into mileage_privacy (guild_id, user_id) select '1', (100000000000000000 + g * 100)::text from generate_series(1, ?) g`,
			[Math.floor(MEMBERS / 100)],
			'run'
		);
		// As a table that has been in use is: vacuumed (visibility map set, so index-only scans skip the heap) and
		// analysed; otherwise autovacuum starts on the fresh 200,000 rows in the middle of the measured seconds.
		await em.execute('vacuum analyze mileage_total', [], 'run');
		await em.execute('vacuum analyze mileage_privacy', [], 'run');
		// And written out: without a checkpoint here, the seeding's dirty pages are flushed during the measured seconds
		// (a role that may not checkpoint measures as before).
		await em.execute('checkpoint', [], 'run').catch(() => undefined);
		const members = (await loadRankTable(em, '1')).members;
		const last = Math.ceil(members / PAGE_SIZE);
		const pages = [1, Math.floor(last / 2), last];
		// As the bot runs it: change counters in Redis, so only another process's writes cause a rebuild.
		const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
		const key = `facet:bench:${db.name}:ranks:1`;
		const ranks = new RankCache((guildId) => loadRankTable(orm.em.fork(), guildId), {
			versions: { bump: () => redis.incr(key), read: async () => Number((await redis.get(key)) ?? 0) }
		});
		closeRedis = async () => {
			await redis.del(key);
			redis.disconnect();
		};
		let lastChange = performance.now();
		let round = 0;
		// What a flush does every 5 s: 1,000 members' totals move in one statement, and the cache follows.
		const flush = async () => {
			const from = 100000000000000000n + BigInt((round++ * 1_000) % MEMBERS);
			const rows = await orm.em
				.fork()
				.execute<{ user_id: string; before: string; after: string }[]>(
					`update mileage_total set points = points + 7 where guild_id = '1' and user_id >= ? and user_id < ? returning user_id, points - 7 as before, points as after`,
					[String(from), String(from + 1_000n)]
				);
			ranks.apply(rows.map((row) => ({ guildId: '1', before: Number(row.before), after: Number(row.after) })));
		};
		const facet = async (index: number) => {
			if (performance.now() - lastChange >= 5_000) {
				lastChange = performance.now();
				void flush();
			}
			const view = await leaderboardPage(orm.em.fork(), '1', pages[index % 3]!, PAGE_SIZE, await ranks.get('1'));
			if (view.entries.length === 0) throw new Error('empty page');
		};
		const baseline = (index: number) => offsetPage(orm.em.fork(), '1', pages[index % 3]!, PAGE_SIZE);
		// What MileageService.publicLeaderboard reads: the keyset page, then one lookup of its ids among the hidden.
		const publicBoard = async (index: number) => {
			const view = await leaderboardPage(orm.em.fork(), '1', pages[index % 3]!, PAGE_SIZE, await ranks.get('1'));
			await hiddenAmong(
				orm.em.fork(),
				'1',
				view.entries.map((entry) => entry.userId)
			);
		};
		// Warm both paths (plans, caches), then measure.
		for (let i = 0; i < 30; i++) {
			await facet(i);
			await baseline(i);
			await publicBoard(i);
		}
		const facetStats = await atRate(facet);
		const publicStats = await atRate(publicBoard);
		const baselineStats = await atRate(baseline);
		const ratio = baselineStats.p99 / facetStats.p99;
		const fmt = (s: { p50: number; p99: number; max: number; n: number }) =>
			`p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms (${s.n} requests)`;
		console.log(`members: ${members}; ${RATE} requests/s for ${SECONDS} s over pages ${pages.join(', ')} (page size ${PAGE_SIZE})`);
		console.log(`facet (keyset, cached ranks): ${fmt(facetStats)}`);
		console.log(`public page (keyset + hidden lookup, 1% hidden): ${fmt(publicStats)}`);
		console.log(`baseline (offset + count(*)): ${fmt(baselineStats)}`);
		console.log(`ratio baseline/facet at p99: ${ratio.toFixed(1)}x`);
		return {
			name: 'leaderboard',
			members,
			rate: RATE,
			facetP50Ms: Number(facetStats.p50.toFixed(2)),
			facetP99Ms: Number(facetStats.p99.toFixed(2)),
			publicP50Ms: Number(publicStats.p50.toFixed(2)),
			publicP99Ms: Number(publicStats.p99.toFixed(2)),
			baselineP50Ms: Number(baselineStats.p50.toFixed(2)),
			baselineP99Ms: Number(baselineStats.p99.toFixed(2)),
			ratio: Number(ratio.toFixed(1)),
			loadAverage: load()
		};
	} finally {
		await closeRedis();
		await orm.close();
		await db.drop();
	}
}

if (import.meta.main) await benchMain(leaderboardBench);
