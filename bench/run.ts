// Runs every benchmark in turn (`npm run bench`) and prints one JSON summary per benchmark at the end.
// BENCH_JSON=path writes the summaries there as well. What each measures: docs/benchmarks.md.
import { writeFile } from 'node:fs/promises';
import { feedsPollBench } from './feeds-poll.ts';
import { leaderboardBench } from './leaderboard.ts';
import { mileageThroughput } from './mileage-throughput.ts';

const benchmarks: [string, () => Promise<Record<string, unknown>>][] = [
	['mileage-throughput', mileageThroughput],
	['leaderboard', leaderboardBench],
	['feeds-poll', feedsPollBench]
];

const results: Record<string, unknown>[] = [];
for (const [name, run] of benchmarks) {
	console.log(`\n=== ${name} ===`);
	const started = performance.now();
	const result = await run();
	results.push({ ...result, seconds: Number(((performance.now() - started) / 1_000).toFixed(1)) });
}
console.log(`\n${JSON.stringify(results, null, 2)}`);
if (process.env.BENCH_JSON) await writeFile(process.env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
