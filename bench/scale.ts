// P4 and P7: memory and readiness at scale. Each target gets an emulator of its own holding GUILDS guilds of
// CHANNELS text channels and MEMBERS members; the driver records when the target was ready (P7), its RSS and heap
// after a forced GC at ready and after MESSAGES messages spread over every guild (P4). Targets: Facet (every
// plugin) and a bare discord.js client with Facet's intents and discord.js's default caches (what a bot on plain
// discord.js keeps), which loads no Facet code. The guild counts of the RSS curve are BENCH_SCALE_GUILDS (default 1,250,1000; quick 1,200).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from '../src/sandbox/index.ts';
import { freePort } from '../test/helpers/ports.ts';
import { createScratchDatabase } from '../test/helpers/postgres.ts';
import {
	benchMain,
	buildProduction,
	facetTargetEnv,
	imageNodeOptions,
	load,
	median,
	migrateWithBuild,
	QUICK,
	ROOT,
	report,
	startTarget,
	type Target
} from './lib.ts';
import { facetIntentsEnv } from './targets/facet-client-options.ts';

const GUILD_COUNTS = (process.env.BENCH_SCALE_GUILDS ?? (QUICK ? '1,200' : '1,250,1000')).split(',').map(Number);
const CHANNELS = 25;
const MEMBERS = 50;
const MESSAGES = Number(process.env.BENCH_SCALE_MESSAGES ?? (QUICK ? 5_000 : 20_000));
/**
 * Starts of each target at the largest guild count, P4's included: P7 is the median of their ratios. One start of
 * the bare client took 223–391 ms on this machine within an hour, so a single pair decided P7 by luck.
 */
const READY_TRIALS = Number(process.env.BENCH_READY_TRIALS ?? (QUICK ? 1 : 3));

export interface ScalePoint {
	target: string;
	guilds: number;
	readyMs: number;
	rssReadyMiB: number;
	heapReadyMiB: number;
	rssAfterMiB: number;
	heapAfterMiB: number;
	load: number;
	/** Facet's start phases (empty for bare). */
	phasesMs: Record<string, number>;
}

/** Sends `count` messages round-robin over the emulator's guilds and channels, and waits until the target handled them. */
async function chat(target: Target, guildIds: string[], count: number): Promise<void> {
	const snapshot = target.emulator.snapshot() as unknown as {
		guilds: { id: string; channels: { id: string; type: number }[]; members: { user_id?: string; userId?: string }[] }[];
	};
	const byId = new Map(snapshot.guilds.map((g) => [g.id, g]));
	const stream: Parameters<Target['emulator']['sendMessage']>[0][] = [];
	for (let i = 0; i < count; i++) {
		const guild = byId.get(guildIds[i % guildIds.length]!)!;
		// Text channels members may write in: the seed's #welcome is closed to @everyone, as the emulator enforces.
		const texts = guild.channels.filter((c) => c.type === 0 && c.id !== target.emulator.seed.channels.welcome);
		const humans = guild.members.map((m) => m.user_id ?? m.userId!).filter((id) => id !== target.emulator.botUserId);
		stream.push({
			guild_id: guild.id,
			channel_id: texts[i % texts.length]!.id,
			user_id: humans[i % humans.length]!,
			content: 'a message of ordinary length, for the benchmark'
		});
	}
	target.tell({ type: 'expect', round: 'scale', count });
	await target.next('armed');
	const done = target.next('done');
	// A send that throws stops the target in `point`: that error is the one to report, not this wait's.
	done.catch(() => undefined);
	// In slices, so the emulator's replay buffer and the socket are not asked to hold all of it at once.
	for (let i = 0; i < stream.length; i += 2_000) {
		target.emulator.sendMessages(stream.slice(i, i + 2_000));
		await new Promise((resolve) => setImmediate(resolve));
	}
	await done;
}

type TargetOptions = Parameters<typeof startTarget>[1];

/** Starts a target against an emulator of `guilds` guilds (its ready time is `startMs`). */
async function startAtScale(name: string, guilds: number, options: TargetOptions): Promise<{ target: Target; guildIds: string[] }> {
	let guildIds: string[] = [];
	const target = await startTarget(name, {
		...options,
		prepare: (emulator) => {
			// The seed guild is one; the rest are bulk guilds.
			guildIds = [
				emulator.seed.guildId,
				...emulator.populate({ guilds: guilds - 1, channelsPerGuild: CHANNELS, membersPerGuild: MEMBERS })
			];
		}
	});
	return { target, guildIds };
}

/** Facet's start phases, as one line. */
const phasesOf = (target: Target) =>
	Object.keys(target.phasesMs).length
		? ` (${Object.entries(target.phasesMs)
				.map(([phase, ms]) => `${phase} ${ms}`)
				.join(', ')} ms)`
		: '';

/** One more start of a target, for P7 alone: its ready time. */
async function readyTrial(name: string, guilds: number, options: TargetOptions): Promise<number> {
	const { target } = await startAtScale(name, guilds, options);
	await target.stop();
	if (name === 'facet') console.log(`  facet start${phasesOf(target)}`);
	return target.startMs;
}

async function point(name: string, guilds: number, options: TargetOptions): Promise<ScalePoint> {
	const { target, guildIds } = await startAtScale(name, guilds, options);
	try {
		const atReady = await report(target);
		await chat(target, guildIds, MESSAGES);
		const after = await report(target);
		const result = {
			target: name,
			guilds,
			readyMs: target.startMs,
			rssReadyMiB: atReady.rssMiB,
			heapReadyMiB: atReady.heapUsedMiB,
			rssAfterMiB: after.rssMiB,
			heapAfterMiB: after.heapUsedMiB,
			load: load(),
			phasesMs: target.phasesMs
		};
		console.log(
			`${name.padEnd(18)} ${String(guilds).padStart(5)} guilds: ready ${result.readyMs} ms; RSS ${result.rssReadyMiB} MiB at ready, ` +
				`${result.rssAfterMiB} MiB after ${MESSAGES.toLocaleString('en')} messages (heap ${result.heapReadyMiB} → ${result.heapAfterMiB} MiB; load ${result.load})${phasesOf(target)}`
		);
		return result;
	} finally {
		await target.stop();
	}
}

/** A process's resident set as the host sees it (no forced GC): what a container's memory limit counts. */
async function rssOf(pid: number): Promise<number> {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	return Number((Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024).toFixed(1));
}

/**
 * The production build (`dist/main.js`, built by {@link scaleBench}) with a token against an emulator of one guild,
 * as a host runs it: its RSS 10 s after /readyz answered, against the bare client's in the same state.
 */
async function productionPoint(): Promise<{ facetMiB: number; bareMiB: number; readyMs: number }> {
	const emulator = new Emulator({ port: await freePort(), heartbeatIntervalMs: 30_000 });
	await emulator.start();
	const db = await createScratchDatabase('facet_bench');
	// As the compose file runs it: the one-shot migrate first, then the bot with MIGRATE_ON_START=false.
	migrateWithBuild(db.url);
	const port = await freePort();
	const started = performance.now();
	// V8 flags Node refuses in NODE_OPTIONS (e.g. --optimize-for-size) are tried as arguments: BENCH_PROD_NODE_FLAGS.
	const flags = (process.env.BENCH_PROD_NODE_FLAGS ?? '').split(' ').filter(Boolean);
	const child = spawn(process.execPath, [...flags, join(ROOT, 'dist', 'main.js')], {
		cwd: ROOT,
		env: {
			PATH: process.env.PATH,
			NODE_ENV: 'production',
			MIGRATE_ON_START: 'false',
			// As the image runs it (its NODE_OPTIONS); BENCH_PROD_NODE_OPTIONS tries another lever ('' for none).
			NODE_OPTIONS: process.env.BENCH_PROD_NODE_OPTIONS ?? imageNodeOptions(),
			DISCORD_TOKEN: emulator.botToken,
			DISCORD_API_URL: emulator.restUrl,
			DATABASE_URL: db.url,
			REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
			API_PORT: String(port),
			API_HOST: '127.0.0.1',
			LOG_LEVEL: 'warn',
			LOG_FORMAT: 'json',
			SESSION_SECRET: 'a-benchmark-session-secret-of-32-characters-or-more',
			TASKS_QUEUE: `facet-bench-prod-${process.pid}`,
			// More environment to try a lever with, as JSON (e.g. '{"MALLOC_ARENA_MAX":"2"}').
			...(JSON.parse(process.env.BENCH_PROD_ENV ?? '{}') as Record<string, string>)
		},
		stdio: ['ignore', 'ignore', 'inherit']
	});
	try {
		for (;;) {
			if (child.exitCode !== null) throw new Error(`dist/main.js exited (${child.exitCode}) before it was ready`);
			const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
				(r) => r.ok,
				() => false
			);
			if (ok) break;
			if (performance.now() - started > 120_000) throw new Error('dist/main.js was not ready within 120 s');
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		const readyMs = Math.round(performance.now() - started);
		await new Promise((resolve) => setTimeout(resolve, 10_000));
		const facetMiB = await rssOf(child.pid!);
		const bare = await startTarget('bare', { script: 'bare', env: { BENCH_BARE_CACHES: 'default', ...facetIntentsEnv() } });
		await new Promise((resolve) => setTimeout(resolve, 10_000));
		const bareMiB = await rssOf(bare.child.pid!);
		await bare.stop();
		console.log(
			`production build, 1 guild: Facet ${facetMiB} MiB RSS (ready in ${readyMs} ms), bare discord.js ${bareMiB} MiB (load ${load()})`
		);
		return { facetMiB, bareMiB, readyMs };
	} finally {
		child.kill('SIGTERM');
		await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
		await emulator.stop();
		await db.drop();
	}
}

export { productionPoint };

export async function scaleBench(): Promise<Record<string, unknown>> {
	buildProduction();
	const production = await productionPoint();
	const points: ScalePoint[] = [];
	// Facet as a host runs it: the production build, the image's NODE_OPTIONS, a database the one-shot migrate
	// prepared (MIGRATE_ON_START=false, as in the compose file). BENCH_SCALE_FROM=source and BENCH_FACET_NODE_FLAGS
	// measure the sources or other flags.
	const fromSource = process.env.BENCH_SCALE_FROM === 'source';
	const flags = (process.env.BENCH_FACET_NODE_FLAGS ?? imageNodeOptions()).split(' ').filter(Boolean);
	/** Runs `run` against Facet's options on a freshly migrated scratch database. */
	const withFacet = async <T>(guilds: number, run: (options: TargetOptions) => Promise<T>): Promise<T> => {
		const db = await createScratchDatabase('facet_bench');
		const dataDir = await mkdtemp(join(tmpdir(), 'facet-bench-'));
		try {
			migrateWithBuild(db.url);
			return await run({
				script: 'facet',
				execArgv: flags,
				env: {
					...(await facetTargetEnv(db.url, dataDir, `scale-${guilds}`)),
					MIGRATE_ON_START: 'false',
					...(fromSource ? {} : { BENCH_FACET_BUILD: 'dist' })
				}
			});
		} finally {
			await db.drop();
			await rm(dataDir, { recursive: true, force: true });
		}
	};
	const bareOptions: TargetOptions = { script: 'bare', env: { BENCH_BARE_CACHES: 'default', ...facetIntentsEnv() } };
	for (const guilds of GUILD_COUNTS) {
		points.push(await withFacet(guilds, (options) => point('facet', guilds, options)));
		points.push(await point('bare', guilds, bareOptions));
	}
	const at = (target: string, guilds: number) => points.find((p) => p.target === target && p.guilds === guilds)!;
	const most = Math.max(...GUILD_COUNTS);
	const facet = at('facet', most);
	const bare = at('bare', most);
	// More starts at the largest count, alternating who goes first: P7 is the median of the pairs' ratios.
	const trials = [{ facetMs: facet.readyMs, bareMs: bare.readyMs }];
	for (let i = 1; i < READY_TRIALS; i++) {
		const facetStart = () => withFacet(most, (options) => readyTrial('facet', most, options));
		const bareStart = () => readyTrial('bare', most, bareOptions);
		const trial = { facetMs: 0, bareMs: 0 };
		if (i % 2 === 1) {
			trial.bareMs = await bareStart();
			trial.facetMs = await facetStart();
		} else {
			trial.facetMs = await facetStart();
			trial.bareMs = await bareStart();
		}
		console.log(
			`ready trial ${i + 1}/${READY_TRIALS}, ${most} guilds: Facet ${trial.facetMs} ms, bare ${trial.bareMs} ms (load ${load()})`
		);
		trials.push(trial);
	}
	const ratios = trials.map((trial) => trial.facetMs / trial.bareMs);
	return {
		benchmark: 'scale',
		channelsPerGuild: CHANNELS,
		membersPerGuild: MEMBERS,
		messages: MESSAGES,
		guilds: most,
		readyRatio: Number(median(ratios).toFixed(2)),
		readyFacetMs: median(trials.map((trial) => trial.facetMs)),
		readyBareMs: median(trials.map((trial) => trial.bareMs)),
		readyTrials: trials,
		rssReadyRatio: Number((facet.rssReadyMiB / bare.rssReadyMiB).toFixed(2)),
		rssAfterRatio: Number((facet.rssAfterMiB / bare.rssAfterMiB).toFixed(2)),
		production: { ...production, ratio: Number((production.facetMiB / production.bareMiB).toFixed(2)) },
		points
	};
}

if (import.meta.main) await benchMain(scaleBench);
