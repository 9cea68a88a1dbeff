// Throughput of MESSAGE_CREATE handling: Facet (mileage on, every message awarded) against a bare discord.js client
// with the same intents and caches, fed the same stream by the sandbox emulator. See docs/benchmarks.md.
//
//   npm run bench                      # every benchmark (bench/run.ts)
//   node bench/mileage-throughput.ts   # this one; BENCH_EVENTS, BENCH_ROUNDS, BENCH_JSON=path to keep the figures

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from '../src/sandbox/index.ts';
import { createScratchDatabase, query } from '../test/helpers/postgres.ts';
import { benchMain, facetTargetEnv, median, QUICK, report, STEADY_STATE_ENV, startTarget, type Target } from './lib.ts';
import { now } from './targets/protocol.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? (QUICK ? 10_000 : 20_000));
// 21 rounds: one round's ratio strays by ±15 % here, and the median of 11 still moved by ±0.03 from run to run.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 21));
const WARMUP_ROUNDS = QUICK ? 1 : 2;
/**
 * A round is cut into this many slices, sent to Facet and bare in turn (F B F B …), so both sides of a round's
 * ratio run within tens of milliseconds of each other: this shared machine's speed moves by up to 1.7x from one
 * 200 ms stretch to the next, and a whole round per side let that drift into the ratio.
 */
const SLICES = Number(process.env.BENCH_SLICES ?? 10);

type Stream = Parameters<Emulator['sendMessage']>[0][];

/** One slice sent to one target: times from the first dispatch to the last event its client handled. */
interface Slice {
	events: number;
	elapsedMs: number;
	buildMs: number;
	cpuMicros: number;
	mainMicros: number;
}

interface Round {
	target: string;
	round: string;
	eventsPerSecond: number;
	/** How fast the emulator built the stream (before the clock starts; shown to prove it is not the limit). */
	dispatchPerSecond: number;
	elapsedMs: number;
	/** CPU time the target process spent per event during the round (every thread). */
	cpuMicrosPerEvent: number;
	/** The same, of the main thread alone (the rest is V8's GC helpers and libuv's threads). */
	mainMicrosPerEvent: number;
}

/** Sends a slice of the stream to one target. */
async function runSlice(target: Target, round: string, stream: Stream): Promise<Slice> {
	target.tell({ type: 'expect', round, count: stream.length });
	await target.next('armed');
	const done = target.next('done');
	const built = now();
	// The emulator builds every event with the socket corked and writes them all when it returns: from then on
	// the client reads as fast as it can, so the source is never what limits the figure.
	target.emulator.sendMessages(stream);
	const start = now();
	const result = await done;
	return {
		events: stream.length,
		elapsedMs: result.lastAt - start,
		buildMs: start - built,
		cpuMicros: result.cpuMicros,
		mainMicros: result.mainMicros
	};
}

/** One round: the stream in {@link SLICES} slices, each sent to every target in turn (`order` first). */
async function runRound(order: Target[], round: string, stream: Stream): Promise<Round[]> {
	const slices = new Map<Target, Slice[]>(order.map((target) => [target, []]));
	const size = Math.ceil(stream.length / SLICES);
	for (let from = 0; from < stream.length; from += size) {
		const slice = stream.slice(from, from + size);
		for (const target of order) slices.get(target)!.push(await runSlice(target, round, slice));
	}
	return order.map((target) => {
		const done = slices.get(target)!;
		const sum = (pick: (slice: Slice) => number) => done.reduce((total, slice) => total + pick(slice), 0);
		const events = sum((slice) => slice.events);
		return {
			target: target.name,
			round,
			eventsPerSecond: events / (sum((slice) => slice.elapsedMs) / 1_000),
			dispatchPerSecond: events / (sum((slice) => slice.buildMs) / 1_000),
			elapsedMs: sum((slice) => slice.elapsedMs),
			cpuMicrosPerEvent: sum((slice) => slice.cpuMicros) / events,
			mainMicrosPerEvent: sum((slice) => slice.mainMicros) / events
		};
	});
}

export async function mileageThroughput(): Promise<Record<string, unknown>> {
	const db = await createScratchDatabase('facet_bench');
	const dataDir = await mkdtemp(join(tmpdir(), 'facet-bench-'));
	const targets: Target[] = [];
	try {
		const probe = new Emulator();
		const { seed } = probe;
		// The same stream for both: five members taking turns in #general, the same text each time.
		const authors = [seed.users.ada, seed.users.grace, seed.users.linus, seed.users.margaret, seed.users.alan];
		const stream = Array.from({ length: EVENTS }, (_, i) => ({
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: authors[i % authors.length]!,
			content: 'a message of ordinary length, for the benchmark'
		}));
		const facet = await startTarget('facet', {
			script: 'facet',
			// BENCH_FACET_NODE_FLAGS tries a V8 lever on Facet's process (e.g. --max-semi-space-size=1).
			execArgv: process.env.BENCH_FACET_NODE_FLAGS?.split(' ').filter(Boolean),
			env: { ...(await facetTargetEnv(db.url, dataDir, 'throughput')), ...STEADY_STATE_ENV, BENCH_GUILD_ID: seed.guildId }
		});
		targets.push(facet);
		console.log(`facet: ready in ${facet.startMs} ms`);
		// BENCH_BARE_NODE_FLAGS does the same to the baseline's process (e.g. --trace-gc on both sides).
		const bare = await startTarget('bare', { script: 'bare', execArgv: process.env.BENCH_BARE_NODE_FLAGS?.split(' ').filter(Boolean) });
		targets.push(bare);
		console.log(`bare: ready in ${bare.startMs} ms`);

		const rounds: Round[] = [];
		for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
			const warm = r < WARMUP_ROUNDS;
			const name = warm ? `warm-up ${r + 1}` : `round ${r - WARMUP_ROUNDS + 1}`;
			// Alternate who goes first, so neither always runs on a machine the other just heated.
			const order = r % 2 === 0 ? [facet, bare] : [bare, facet];
			for (const result of await runRound(order, name, stream)) {
				if (!warm) rounds.push(result);
				console.log(
					`${name.padEnd(9)} ${result.target.padEnd(5)} ${Math.round(result.eventsPerSecond).toLocaleString('en').padStart(7)} events/s` +
						`  ${result.cpuMicrosPerEvent.toFixed(1).padStart(5)} µs CPU/event (main thread ${result.mainMicrosPerEvent.toFixed(1).padStart(5)})` +
						`  (emulator built ${Math.round(result.dispatchPerSecond).toLocaleString('en')}/s)`
				);
			}
		}

		const facetStats = await report(facet, false);
		const bareStats = await report(bare, false);
		await Promise.all(targets.map((target) => target.stop()));
		const codes = await Promise.all(targets.map((target) => target.exited));

		// Facet's shutdown flushed the buffer: the ledger holds one point per message it was sent, no more, no less.
		const sent = EVENTS * (WARMUP_ROUNDS + ROUNDS);
		const [ledger] = await query<{ points: string | null; events: string }>(
			db.url,
			`select sum(delta) as points, count(*) as events from mileage_event where guild_id = $1 and reason = 'message'`,
			[seed.guildId]
		);
		const of = (target: string, pick: (r: Round) => number) => median(rounds.filter((r) => r.target === target).map(pick));
		const facetRate = of('facet', (r) => r.eventsPerSecond);
		const bareRate = of('bare', (r) => r.eventsPerSecond);
		const facetCpu = of('facet', (r) => r.cpuMicrosPerEvent);
		const bareCpu = of('bare', (r) => r.cpuMicrosPerEvent);
		// The ratio is the median of each round's own ratio (Facet and bare ran slice by slice in it), so a machine whose
		// speed drifts (CPU per event moved up to 2x between runs here) moves both sides of a ratio alike.
		const facetRounds = rounds.filter((r) => r.target === 'facet');
		const bareRounds = rounds.filter((r) => r.target === 'bare');
		const roundRatios = facetRounds.map((f, i) => bareRounds[i]!.cpuMicrosPerEvent / f.cpuMicrosPerEvent);
		const cpuRatio = median(roundRatios);
		const mainRatio = median(facetRounds.map((f, i) => bareRounds[i]!.mainMicrosPerEvent / f.mainMicrosPerEvent));
		const sortedRatios = [...roundRatios].sort((a, b) => a - b);
		// The same from the sums: every slice's CPU of both sides over all rounds (GC lumps weigh in as they fell).
		const total = (list: Round[]) => list.reduce((sum, r) => sum + r.cpuMicrosPerEvent, 0);
		const pooledRatio = total(bareRounds) / total(facetRounds);
		const summary = {
			benchmark: 'mileage-throughput',
			events: EVENTS,
			rounds: ROUNDS,
			warmupRounds: WARMUP_ROUNDS,
			facetEventsPerSecond: Math.round(facetRate),
			bareEventsPerSecond: Math.round(bareRate),
			ratio: Number((facetRate / bareRate).toFixed(3)),
			facetCpuMicrosPerEvent: Number(facetCpu.toFixed(2)),
			bareCpuMicrosPerEvent: Number(bareCpu.toFixed(2)),
			/** The same ratio from CPU cost per event (median of the rounds' ratios): steadier on a machine doing other work. */
			cpuRatio: Number(cpuRatio.toFixed(3)),
			/** Lowest and highest round ratio: how far one round strays on this machine. */
			cpuRatioRange: [Number(sortedRatios[0]!.toFixed(3)), Number(sortedRatios.at(-1)!.toFixed(3))],
			/** Total CPU of bare over total CPU of Facet, all rounds (every round has the same events). */
			pooledCpuRatio: Number(pooledRatio.toFixed(3)),
			slices: SLICES,
			facetMainMicrosPerEvent: Number(of('facet', (r) => r.mainMicrosPerEvent).toFixed(2)),
			bareMainMicrosPerEvent: Number(of('bare', (r) => r.mainMicrosPerEvent).toFixed(2)),
			/** The ratio by the main thread's CPU alone. */
			mainRatio: Number(mainRatio.toFixed(3)),
			loadAverage: loadavg().map((n) => Number(n.toFixed(2))),
			emulatorDispatchPerSecond: Math.round(median(rounds.map((r) => r.dispatchPerSecond))),
			ledgerPoints: Number(ledger?.points ?? 0),
			pointsExpected: sent,
			ledgerRows: Number(ledger?.events ?? 0),
			facet: facetStats,
			bare: bareStats,
			exitCodes: codes,
			node: process.version,
			rawRounds: rounds.map((r) => ({
				...r,
				eventsPerSecond: Math.round(r.eventsPerSecond),
				dispatchPerSecond: Math.round(r.dispatchPerSecond),
				elapsedMs: Number(r.elapsedMs.toFixed(1)),
				cpuMicrosPerEvent: Number(r.cpuMicrosPerEvent.toFixed(2)),
				mainMicrosPerEvent: Number(r.mainMicrosPerEvent.toFixed(2))
			}))
		};
		console.log(
			`\nmedian of ${ROUNDS} rounds of ${EVENTS.toLocaleString('en')} MESSAGE_CREATE: Facet ${summary.facetEventsPerSecond.toLocaleString('en')}/s, ` +
				`bare discord.js ${summary.bareEventsPerSecond.toLocaleString('en')}/s, ratio Facet/bare ${summary.ratio} (target ≥ 0.8)`
		);
		console.log(
			`CPU per event: Facet ${summary.facetCpuMicrosPerEvent} µs, bare ${summary.bareCpuMicrosPerEvent} µs, ratio bare/Facet ${summary.cpuRatio} ` +
				`(rounds ${summary.cpuRatioRange.join('–')}; pooled ${summary.pooledCpuRatio}); main thread ${summary.facetMainMicrosPerEvent} / ${summary.bareMainMicrosPerEvent} µs, ` +
				`${summary.mainRatio}; load average ${summary.loadAverage.join(' ')}`
		);
		console.log(
			`ledger: ${summary.ledgerPoints.toLocaleString('en')} points for ${sent.toLocaleString('en')} messages in ${summary.ledgerRows} rows; ` +
				`flush transactions ${String(facetStats.flushTransactions)}`
		);
		if (summary.ledgerPoints !== sent) throw new Error(`the ledger holds ${summary.ledgerPoints} points for ${sent} messages`);
		return summary;
	} finally {
		for (const target of targets) if (target.child.exitCode === null) target.child.kill('SIGKILL');
		for (const target of targets) await target.emulator.stop().catch(() => undefined);
		await db.drop();
		await rm(dataDir, { recursive: true, force: true });
	}
}

if (import.meta.main) await benchMain(mileageThroughput);
