// P3: the `/ping` round trip, Facet against the same command written on bare discord.js (a `select 1`, then an
// ephemeral reply), each in its own process with its own emulator, in one run. The driver runs the command through
// the emulator as a member would and times it until the reply is visible; CPU per command is the target process's
// CPU time over the measured commands. See docs/benchmarks.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../test/helpers/postgres.ts';
import { benchMain, cpuMicros, facetTargetEnv, load, percentile, QUICK, STEADY_STATE_ENV, startTarget, type Target } from './lib.ts';

const COMMANDS = Number(process.env.BENCH_PING_COMMANDS ?? (QUICK ? 400 : 2_000));
const WARMUP = 50;
// The commands run in segments, Facet and bare in turns (A B B A, repeated), so a machine whose speed drifts during
// the run (this one's CPU time per command moved by up to 2x between runs) weighs on both targets alike.
const SEGMENTS = QUICK ? 4 : 8;

interface PingStats {
	p50: number;
	p99: number;
	cpuMicrosPerCommand: number;
}

interface Segment {
	latencies: number[];
	cpuMicros: number;
}

/** Runs `count` commands one after another (a member waiting for each answer) and times each. */
async function measure(target: Target, count: number): Promise<Segment> {
	const { seed } = target.emulator;
	const run = () =>
		target.emulator.runInteraction({
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.grace,
			command: 'ping'
		});
	const cpuBefore = await cpuMicros(target);
	const latencies: number[] = [];
	for (let i = 0; i < count; i++) {
		const started = performance.now();
		const reply = await run();
		latencies.push(performance.now() - started);
		if (!('content' in reply) || !String(reply.content ?? '').startsWith('Pong!'))
			throw new Error(`${target.name} answered /ping with ${JSON.stringify(reply)}`);
	}
	return { latencies, cpuMicros: (await cpuMicros(target)) - cpuBefore };
}

/** The statistics of a target's segments taken together. */
function combine(segments: readonly Segment[]): PingStats {
	const latencies = segments.flatMap((s) => s.latencies).sort((a, b) => a - b);
	const cpu = segments.reduce((sum, s) => sum + s.cpuMicros, 0);
	return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), cpuMicrosPerCommand: cpu / latencies.length };
}

export async function pingBench(): Promise<Record<string, unknown>> {
	const db = await createScratchDatabase('facet_bench');
	const dataDir = await mkdtemp(join(tmpdir(), 'facet-bench-'));
	const targets: Target[] = [];
	try {
		const facet = await startTarget('facet', {
			script: 'facet',
			env: { ...(await facetTargetEnv(db.url, dataDir, 'ping')), ...STEADY_STATE_ENV }
		});
		targets.push(facet);
		// Facet syncs its guild commands in the background after ready: wait until /ping is there.
		for (let i = 0; !facet.emulator.guildCommands(facet.emulator.seed.guildId).some((c) => c.name === 'ping'); i++) {
			if (i > 600) throw new Error('Facet registered no /ping within 60 s');
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const bare = await startTarget('bare', { script: 'bare', env: { BENCH_PING: '1', DATABASE_URL: db.url } });
		targets.push(bare);
		// Warm both up (JIT, pools), then alternate segments so neither always runs on a machine the other just heated.
		for (const target of [facet, bare]) await measure(target, WARMUP);
		const perSegment = Math.ceil(COMMANDS / SEGMENTS);
		const segments = { facet: [] as Segment[], bare: [] as Segment[] };
		for (let i = 0; i < SEGMENTS; i++) {
			const order = i % 2 === 0 ? (['facet', 'bare'] as const) : (['bare', 'facet'] as const);
			for (const name of order) segments[name].push(await measure(name === 'facet' ? facet : bare, perSegment));
		}
		const facetStats = combine(segments.facet);
		const bareStats = combine(segments.bare);
		const result = {
			benchmark: 'ping',
			commands: perSegment * SEGMENTS,
			facet: round(facetStats),
			bare: round(bareStats),
			p50Ratio: Number((facetStats.p50 / bareStats.p50).toFixed(2)),
			p99Ratio: Number((facetStats.p99 / bareStats.p99).toFixed(2)),
			cpuRatio: Number((facetStats.cpuMicrosPerCommand / bareStats.cpuMicrosPerCommand).toFixed(2)),
			loadAverage: load()
		};
		console.log(
			`/ping × ${result.commands}: Facet p50 ${result.facet.p50} ms p99 ${result.facet.p99} ms, ${result.facet.cpuMicrosPerCommand} µs CPU; ` +
				`bare p50 ${result.bare.p50} ms p99 ${result.bare.p99} ms, ${result.bare.cpuMicrosPerCommand} µs CPU; ` +
				`Facet ÷ bare: p50 ${result.p50Ratio}, p99 ${result.p99Ratio}, CPU ${result.cpuRatio} (load ${result.loadAverage})`
		);
		return result;
	} finally {
		for (const target of targets) await target.stop();
		await db.drop();
		await rm(dataDir, { recursive: true, force: true });
	}
}

const round = (s: PingStats) => ({
	p50: Number(s.p50.toFixed(2)),
	p99: Number(s.p99.toFixed(2)),
	cpuMicrosPerCommand: Math.round(s.cpuMicrosPerCommand)
});

if (import.meta.main) await benchMain(pingBench);
