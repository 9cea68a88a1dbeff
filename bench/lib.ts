// What the benchmarks share: forking a target process with an emulator of its own, and the statistics.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Emulator, type EmulatorOptions } from '../src/sandbox/index.ts';
import { freePort } from '../test/helpers/ports.ts';
import type { DriverMessage, TargetMessage } from './targets/protocol.ts';

export const ROOT = join(import.meta.dirname, '..');

/** A target process (Facet or a bare client) with its own emulator, so an idle one receives nothing. */
export interface Target {
	name: string;
	emulator: Emulator;
	child: ChildProcess;
	/** Milliseconds from the process's start to its client's READY (and Facet's own readiness). */
	startMs: number;
	/** Facet's start, phase by phase (its `phasesMs`); empty for the bare client. */
	phasesMs: Record<string, number>;
	next<T extends TargetMessage['type']>(type: T): Promise<Extract<TargetMessage, { type: T }>>;
	tell(message: DriverMessage): void;
	exited: Promise<number | null>;
	/** Asks the target to exit, kills it if it has not within 15 s, and stops its emulator. */
	stop(): Promise<void>;
}

export interface TargetOptions {
	/** Script under bench/targets, without `.ts`, or an absolute path of a built entry. */
	script: string;
	env?: Record<string, string>;
	emulator?: EmulatorOptions;
	/** Fills the emulator before the target connects (e.g. {@link Emulator.populate}). */
	prepare?: (emulator: Emulator) => void;
	execArgv?: string[];
}

/** Starts the emulator and the target, and waits for the target's `ready`. */
export async function startTarget(name: string, options: TargetOptions): Promise<Target> {
	const emulator = new Emulator({ port: await freePort(), heartbeatIntervalMs: 30_000, ...options.emulator });
	options.prepare?.(emulator);
	await emulator.start();
	const script = options.script.startsWith('/') ? options.script : join(ROOT, 'bench', 'targets', `${options.script}.ts`);
	const profile = process.env.BENCH_CPU_PROF
		? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF, '--cpu-prof-name', `${name}.cpuprofile`]
		: [];
	const child = fork(script, [], {
		cwd: ROOT,
		execPath: process.execPath,
		// BENCH_CPU_PROF=dir writes a .cpuprofile of each target there (open it in Chrome DevTools or speedscope).
		execArgv: ['--expose-gc', ...profile, ...(options.execArgv ?? [])],
		env: { ...process.env, ...options.env, EMULATOR_URL: emulator.baseUrl, BOT_TOKEN: emulator.botToken },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc']
	});
	const waiting: { type: string; resolve: (message: TargetMessage) => void }[] = [];
	child.on('message', (message: TargetMessage) => {
		const index = waiting.findIndex((w) => w.type === message.type);
		if (index !== -1) waiting.splice(index, 1)[0]!.resolve(message);
	});
	const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
	const next: Target['next'] = (type) =>
		new Promise((resolve, reject) => {
			waiting.push({ type, resolve: resolve as (message: TargetMessage) => void });
			void exited.then((code) => reject(new Error(`${name} exited (${code}) while the driver waited for "${type}"`)));
		});
	try {
		const ready = await next('ready');
		return {
			name,
			emulator,
			child,
			exited,
			next,
			startMs: ready.startMs,
			phasesMs: ready.phasesMs ?? {},
			tell: (message) => child.send(message),
			stop: async () => {
				if (child.exitCode === null && child.connected) child.send({ type: 'exit' } satisfies DriverMessage);
				const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
				await exited;
				clearTimeout(timer);
				await emulator.stop();
			}
		};
	} catch (error) {
		child.kill('SIGKILL');
		await emulator.stop();
		throw error;
	}
}

/**
 * For the steady-state benchmarks (P1, P3): without Facet's one memory-reducing GC after start
 * (MEMORY_COMPACT_AFTER_MS, 5 s in production). It is a start-up step, not a per-event cost, and where it lands it
 * disturbs the figure: a stop of 100–170 ms, the bytecode of idle code dropped (warmed up again), and a young
 * generation shrunk to its minimum that takes seconds to grow back. In a P1 round it fell in, Facet ran at 21.8 µs
 * per event against 8.4 µs in the others; run 1 ms after ready, P3's CPU per command rose from 1.16× bare to
 * 1.34–1.40× (more scavenges in the shrunk young generation). The production point (P4) keeps the default.
 */
export const STEADY_STATE_ENV = { MEMORY_COMPACT_AFTER_MS: '0' } as const;

/** The environment of a Facet target: its database and data folder, a free API port, quiet JSON logs, its own task queue. */
export async function facetTargetEnv(databaseUrl: string, dataDir: string, queue: string): Promise<Record<string, string>> {
	return {
		DATABASE_URL: databaseUrl,
		API_PORT: String(await freePort()),
		API_HOST: '127.0.0.1',
		LOG_LEVEL: 'warn',
		LOG_FORMAT: 'json',
		DATA_DIR: dataDir,
		TASKS_QUEUE: `facet-bench-${queue}-${process.pid}`
	};
}

/** The target's memory report (after a forced GC when `gc`). */
export async function report(target: Target, gc = true): Promise<Record<string, unknown> & { rssMiB: number; heapUsedMiB: number }> {
	const answer = target.next('report');
	target.tell({ type: 'report', gc });
	return (await answer).stats as Record<string, unknown> & { rssMiB: number; heapUsedMiB: number };
}

/** CPU microseconds the target used so far. */
export async function cpuMicros(target: Target): Promise<number> {
	const answer = target.next('cpu');
	target.tell({ type: 'cpu' });
	return (await answer).micros;
}

export const median = (values: readonly number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The `p` quantile (0–1) of an ascending array. */
export const percentile = (sorted: readonly number[], p: number): number =>
	sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** The 1-minute load average, rounded: printed beside every figure. */
export const load = (): number => Number(loadavg()[0]!.toFixed(2));

/** `--quick` on the command line or BENCH_QUICK=1: smaller inputs, for a check before a change. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/**
 * The NODE_OPTIONS the image runs the bot with (the Dockerfile's `ENV … NODE_OPTIONS=…`), so that what the memory
 * and readiness benchmarks measure is the process a host runs, and follows the image when its flags change.
 */
export function imageNodeOptions(): string {
	const match = /NODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
	if (!match) throw new Error('the Dockerfile sets no NODE_OPTIONS');
	return match[1] ?? match[2]!;
}

/** Builds the production output (tsup, into dist/) so a benchmark of the build measures the code as it is now. */
export function buildProduction(): void {
	execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: ROOT, stdio: 'ignore' });
}

/** Applies every migration to a database with the built one-shot command (`node dist/migrate.js`), as the image's migrate service does. */
export function migrateWithBuild(databaseUrl: string): void {
	execFileSync(process.execPath, [join(ROOT, 'dist', 'migrate.js')], {
		cwd: ROOT,
		env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
		stdio: ['ignore', 'ignore', 'inherit']
	});
}

/**
 * The end of a benchmark module run as a script (`node bench/<name>.ts`): runs it, and writes what it returns to
 * BENCH_JSON when set. `npm run bench` runs every benchmark this way, each in a process of its own.
 */
export async function benchMain(run: () => Promise<Record<string, unknown>>): Promise<void> {
	const result = await run();
	if (process.env.BENCH_JSON) await writeFile(process.env.BENCH_JSON, `${JSON.stringify(result, null, 2)}\n`);
	// Pools and sockets a benchmark leaves open must not keep the process alive.
	process.exit(0);
}
