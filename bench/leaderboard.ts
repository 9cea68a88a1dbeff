// Leaderboard pages on a guild with 100k members: Facet's query on its index, against a baseline of the same
// query on the same data with that index dropped (what a plain sort of the guild's totals costs), in one run.
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../src/core/database/config.ts';
import { plugins as builtInPlugins } from '../src/plugins/index.ts';
import { leaderboardPage } from '../src/plugins/mileage/lib/store.ts';
import { createScratchDatabase } from '../test/helpers/postgres.ts';

const MEMBERS = Number(process.env.BENCH_LEADERBOARD_MEMBERS ?? 100_000);
const ROUNDS = 5;

async function timePages(orm: MikroORM, pages: number[]): Promise<number> {
	const samples: number[] = [];
	for (let round = 0; round < ROUNDS; round++) {
		for (const page of pages) {
			const started = performance.now();
			await leaderboardPage(orm.em.fork(), '1', page, 10);
			samples.push(performance.now() - started);
		}
	}
	samples.sort((a, b) => a - b);
	return samples[Math.floor(samples.length / 2)]!;
}

/** Median ms per leaderboard page (first, middle, last) with and without the leaderboard index. */
export async function leaderboardBench(): Promise<Record<string, unknown>> {
	const db = await createScratchDatabase('facet_bench');
	const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 2 }));
	try {
		await orm.migrator.up();
		const em = orm.em.fork();
		// Two guilds of MEMBERS each, points with many ties, as a busy server has.
		for (const guild of ['1', '2']) {
			await em.execute(
				`insert into mileage_total (guild_id, user_id, points) select ?, (100000000000000000 + g)::text, (random() * 50000)::int - 100 from generate_series(1, ?) g`,
				[guild, MEMBERS],
				'run'
			);
		}
		await em.execute('analyze mileage_total', [], 'run');
		const last = Math.ceil(MEMBERS / 10);
		const pages = [1, Math.floor(last / 2), last];
		await timePages(orm, pages);
		const indexed = await timePages(orm, pages);
		const indexedFirst = await timePages(orm, [1]);
		await em.execute('drop index mileage_total_leaderboard_index', [], 'run');
		await em.execute('analyze mileage_total', [], 'run');
		const baseline = await timePages(orm, pages);
		const baselineFirst = await timePages(orm, [1]);
		const ratio = baseline / indexed;
		console.log(`members per guild: ${MEMBERS}; pages ${pages.join(', ')}`);
		console.log(`facet (leaderboard index): ${indexed.toFixed(2)} ms per page (median), first page ${indexedFirst.toFixed(2)} ms`);
		console.log(`baseline (no index, sort): ${baseline.toFixed(2)} ms per page (median), first page ${baselineFirst.toFixed(2)} ms`);
		console.log(`ratio baseline/facet: ${ratio.toFixed(1)}x (all pages), ${(baselineFirst / indexedFirst).toFixed(1)}x (first page)`);
		return {
			name: 'leaderboard',
			members: MEMBERS,
			facetMs: Number(indexed.toFixed(2)),
			facetFirstPageMs: Number(indexedFirst.toFixed(2)),
			baselineMs: Number(baseline.toFixed(2)),
			baselineFirstPageMs: Number(baselineFirst.toFixed(2)),
			ratio: Number(ratio.toFixed(1))
		};
	} finally {
		await orm.close();
		await db.drop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await leaderboardBench();
