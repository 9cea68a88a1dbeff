// `npm run bench [-- --quick]`: every benchmark, each against its baseline in the same run (P1 events, P3 /ping,
// P4 memory and P7 readiness at scale, P5 leaderboard, P6 feeds poll). Prints every figure with its baseline,
// ratio and the load average, and writes bench/results/latest.json, bench/results/latest.md and the charts there.
// BENCH_ONLY=ping,scale runs some of them. What each measures: docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, QUICK, ROOT } from './lib.ts';
import { barChart, type Figure, lineChart, markdown } from './report.ts';
import type { ScalePoint } from './scale.ts';

// biome-ignore lint/suspicious/noExplicitAny: each benchmark returns its own shape; the figures below read it.
type Result = Record<string, any>;
/** Each runs as `node bench/<name>.ts` in a process of its own: no benchmark measures the garbage, heap or open
 * handles of the ones before it (the scale benchmark's emulator of 1,000 guilds lived in this process before, and
 * P5's p99 was 3.9 ms alone, and 16.0, 10.7 and 5.9 ms after it). */
const benchmarks = ['mileage-throughput', 'ping', 'scale', 'leaderboard', 'feeds-poll'];

/** Runs one benchmark's script, its output shown as it comes, and returns the figures it wrote. */
async function runBenchmark(name: string): Promise<Result> {
	const dir = await mkdtemp(join(tmpdir(), 'facet-bench-run-'));
	const file = join(dir, `${name}.json`);
	try {
		await new Promise<void>((resolve, reject) => {
			const child = spawn(process.execPath, [join(ROOT, 'bench', `${name}.ts`)], {
				cwd: ROOT,
				env: { ...process.env, BENCH_JSON: file, ...(QUICK ? { BENCH_QUICK: '1' } : {}) },
				stdio: 'inherit'
			});
			child.on('error', reject);
			child.on('exit', (code, signal) =>
				code === 0 ? resolve() : reject(new Error(`bench/${name}.ts ended with ${signal ?? `exit code ${code}`}`))
			);
		});
		return JSON.parse(await readFile(file, 'utf8')) as Result;
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}
const only = process.env.BENCH_ONLY?.split(',');

const results: Record<string, Result> = {};
const loads: Record<string, number> = {};
const started = performance.now();
for (const name of benchmarks) {
	if (only && !only.includes(name)) continue;
	console.log(`\n=== ${name} (load average ${load()}) ===`);
	const began = performance.now();
	results[name] = { ...(await runBenchmark(name)), seconds: Number(((performance.now() - began) / 1_000).toFixed(1)) };
	loads[name] = load();
}

const figures: Figure[] = [];
const figure = (f: Omit<Figure, 'met'> & { met?: boolean | null }) => figures.push({ met: null, ...f });
const m = results['mileage-throughput'];
if (m) {
	const l = loads['mileage-throughput']!;
	figure({
		id: 'P1',
		measure: 'MESSAGE_CREATE/s, mileage on (wall)',
		facet: m.facetEventsPerSecond,
		baseline: m.bareEventsPerSecond,
		unit: '/s',
		ratio: m.ratio,
		target: null,
		load: l
	});
	figure({
		id: 'P1',
		measure: 'CPU per event (ratio bare ÷ Facet)',
		facet: m.facetCpuMicrosPerEvent,
		baseline: m.bareCpuMicrosPerEvent,
		unit: 'µs',
		ratio: m.cpuRatio,
		target: '≥ 0.9',
		met: m.cpuRatio >= 0.9,
		load: l
	});
}
const p = results.ping;
if (p) {
	const l = loads.ping!;
	figure({
		id: 'P3',
		measure: '/ping round trip p50',
		facet: p.facet.p50,
		baseline: p.bare.p50,
		unit: 'ms',
		ratio: p.p50Ratio,
		target: null,
		load: l
	});
	figure({
		id: 'P3',
		measure: '/ping round trip p99',
		facet: p.facet.p99,
		baseline: p.bare.p99,
		unit: 'ms',
		ratio: p.p99Ratio,
		target: '≤ 1.25',
		met: p.p99Ratio <= 1.25,
		load: l
	});
	figure({
		id: 'P3',
		measure: '/ping CPU per command',
		facet: p.facet.cpuMicrosPerCommand,
		baseline: p.bare.cpuMicrosPerCommand,
		unit: 'µs',
		ratio: p.cpuRatio,
		target: '≤ 1.3',
		met: p.cpuRatio <= 1.3,
		load: l
	});
}
const s = results.scale;
if (s) {
	const l = loads.scale!;
	const at = (target: string, guilds: number) => (s.points as ScalePoint[]).find((x) => x.target === target && x.guilds === guilds)!;
	const facet = at('facet', s.guilds);
	const bare = at('bare', s.guilds);
	const scope = `${s.guilds} guilds × ${s.channelsPerGuild} × ${s.membersPerGuild}`;
	figure({
		id: 'P4',
		measure: `RSS after GC at ready, ${scope}`,
		facet: facet.rssReadyMiB,
		baseline: bare.rssReadyMiB,
		unit: 'MiB',
		ratio: s.rssReadyRatio,
		target: null,
		load: facet.load
	});
	figure({
		id: 'P4',
		measure: `RSS after GC after ${s.messages.toLocaleString('en')} messages, ${scope}`,
		facet: facet.rssAfterMiB,
		baseline: bare.rssAfterMiB,
		unit: 'MiB',
		ratio: s.rssAfterRatio,
		target: '≤ 244 MiB and ≤ 1.0',
		met: s.guilds >= 1_000 ? facet.rssAfterMiB <= 244 && s.rssAfterRatio <= 1 : null,
		load: facet.load
	});
	figure({
		id: 'P4',
		measure: 'production build, 1 guild, RSS',
		facet: s.production.facetMiB,
		baseline: s.production.bareMiB,
		unit: 'MiB',
		ratio: s.production.ratio,
		target: '≤ 128 MiB',
		met: s.production.facetMiB <= 128,
		load: l
	});
	figure({
		id: 'P7',
		measure: `ready, ${scope} (median of ${s.readyTrials.length} starts each)`,
		facet: s.readyFacetMs,
		baseline: s.readyBareMs,
		unit: 'ms',
		ratio: s.readyRatio,
		target: '≤ 2',
		met: s.guilds >= 1_000 ? s.readyRatio <= 2 : null,
		load: facet.load
	});
}
const lb = results.leaderboard;
if (lb) {
	const l = loads.leaderboard!;
	figure({
		id: 'P5',
		measure: `leaderboard p99, ${lb.members.toLocaleString('en')} members, ${lb.rate} requests/s`,
		facet: lb.facetP99Ms,
		baseline: lb.baselineP99Ms,
		unit: 'ms',
		ratio: Number((lb.facetP99Ms / lb.baselineP99Ms).toPrecision(2)),
		target: '≤ 10 ms',
		met: lb.facetP99Ms <= 10,
		load: l
	});
}
const f = results['feeds-poll'];
if (f) {
	const l = loads['feeds-poll']!;
	figure({
		id: 'P6',
		measure: `poll cycle of ${f.feeds} feeds (wall)`,
		facet: f.cycle.wallMs,
		baseline: f.baseline.wallMs,
		unit: 'ms',
		ratio: f.wallRatio,
		target: '≤ 60 s, 1 request/feed',
		met: f.withinTarget && f.requestsPerFeed === 1,
		load: l
	});
}

const dir = join(ROOT, 'bench', 'results');
await mkdir(dir, { recursive: true });
const charts: { file: string; caption: string }[] = [];
const chart = async (file: string, caption: string, svg: string) => {
	await writeFile(join(dir, file), svg);
	charts.push({ file, caption });
};
if (m) {
	const per = (target: string) => ({
		name: target,
		points: (m.rawRounds as { target: string; eventsPerSecond: number }[])
			.filter((r) => r.target === target)
			.map((r, i) => [i + 1, r.eventsPerSecond] as [number, number])
	});
	await chart(
		'p1-throughput.svg',
		'P1: MESSAGE_CREATE per second, each round',
		lineChart('P1: events per second, per round', 'round', 'events/s', [per('facet'), per('bare')])
	);
}
const latency = [
	p && ['/ping p50', p.facet.p50, p.bare.p50],
	p && ['/ping p99', p.facet.p99, p.bare.p99],
	lb && ['leaderboard p50', lb.facetP50Ms, null],
	lb && ['leaderboard p99', lb.facetP99Ms, null]
].filter(Boolean) as [string, number, number | null][];
if (latency.length)
	await chart(
		'latency.svg',
		'P3 and P5: latency percentiles (ms)',
		barChart(
			'P3 /ping and P5 leaderboard: latency (ms)',
			'ms',
			latency.map((x) => x[0]),
			[
				{ name: 'Facet', values: latency.map((x) => x[1]) },
				{ name: 'bare / none', values: latency.map((x) => x[2] ?? 0) }
			]
		)
	);
if (s) {
	const curve = (target: string, key: 'rssReadyMiB' | 'rssAfterMiB', name: string) => ({
		name,
		points: (s.points as ScalePoint[]).filter((x) => x.target === target).map((x) => [x.guilds, x[key]] as [number, number])
	});
	await chart(
		'p4-rss.svg',
		'P4: RSS after GC against guild count',
		lineChart('P4: RSS after GC (MiB) by guild count', 'guilds', 'MiB', [
			curve('facet', 'rssReadyMiB', 'Facet, ready'),
			curve('facet', 'rssAfterMiB', 'Facet, after msgs'),
			curve('bare', 'rssReadyMiB', 'bare, ready'),
			curve('bare', 'rssAfterMiB', 'bare, after msgs')
		])
	);
}

const context = {
	date: new Date().toISOString(),
	mode: QUICK ? 'quick' : 'full',
	machine: `${cpus().length} cores, Node ${process.version}`,
	'total time': `${((performance.now() - started) / 1_000).toFixed(0)} s`
};
await writeFile(join(dir, 'latest.json'), `${JSON.stringify({ context, figures, results }, null, 2)}\n`);
await writeFile(join(dir, 'latest.md'), markdown(figures, charts, context));
console.log('\n| id | measure | Facet | baseline | ratio | target | | load |');
for (const x of figures)
	console.log(
		`| ${x.id} | ${x.measure} | ${x.facet} ${x.unit} | ${x.baseline ?? '—'} ${x.unit} | ${x.ratio ?? '—'} | ${x.target ?? '—'} | ${x.met === null ? '' : x.met ? 'met' : 'MISSED'} | ${x.load} |`
	);
console.log(`\nwritten: bench/results/latest.json, bench/results/latest.md and ${charts.length} charts (${context['total time']})`);
process.exit(0);
