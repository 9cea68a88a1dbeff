// One poll cycle of 1,000 feeds spread over four hosts (127.0.0.1 … 127.0.0.4) served by the fixture server: the
// dailies poller (concurrency 8, 2 per host, real PostgreSQL) against a bare fetch loop over the same URLs (the
// baseline), each in its own process. Checks that the poller made exactly one request per feed (304s included).
//
//   node bench/feeds-poll.ts     # BENCH_FEEDS (1000), BENCH_FEED_LATENCY_MS (20, the server's answer delay)

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../src/core/database/config.ts';
import { dailiesPlugin } from '../src/plugins/dailies/index.ts';
import { createScratchDatabase, query } from '../test/helpers/postgres.ts';
import { type FixtureItem, FixtureServer, makeItems } from '../test/plugins/dailies/fixture-server.ts';
import { benchMain, QUICK } from './lib.ts';

const FEEDS = Number(process.env.BENCH_FEEDS ?? (QUICK ? 300 : 1_000));
const LATENCY = Number(process.env.BENCH_FEED_LATENCY_MS ?? 20);
const HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
const ROOT = join(import.meta.dirname, '..');

interface CycleFigures {
	mode: string;
	polled: number;
	posted: number;
	wallMs: number;
	cpuMs: number;
	peakRssMb: number;
}

function runCycle(mode: 'facet' | 'bare', databaseUrl: string, urlsFile: string): Promise<CycleFigures> {
	const child = spawn(process.execPath, [join(ROOT, 'bench', 'targets', 'feeds-poller.ts'), mode, databaseUrl, urlsFile], {
		cwd: ROOT,
		stdio: ['ignore', 'pipe', 'inherit']
	});
	let out = '';
	child.stdout.on('data', (chunk) => {
		out += chunk;
	});
	return new Promise((resolve, reject) =>
		child.on('exit', (code) =>
			code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`${mode} cycle exited ${code}`))
		)
	);
}

/** Runs the benchmark and answers its figures. */
export async function feedsPollBench(): Promise<Record<string, unknown>> {
	const servers = await Promise.all(HOSTS.map((host) => new FixtureServer().start(host)));
	const db = await createScratchDatabase('facet_bench_feeds');
	const dir = await mkdtemp(join(tmpdir(), 'facet-feeds-bench-'));
	try {
		await query(db.url, `alter database "${db.name}" set synchronous_commit = off`);
		const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: [dailiesPlugin], poolMax: 2 }));
		await orm.migrator.up();
		await orm.close();
		const start = new Date(Date.now() - 3_600_000);
		const feeds: { server: FixtureServer; path: string; url: string; items: FixtureItem[] }[] = [];
		for (let i = 0; i < FEEDS; i++) {
			const server = servers[i % servers.length]!;
			const path = `/feed-${i}.xml`;
			const items = makeItems(20, { prefix: `f${i}`, start });
			// Half the feeds send an ETag (their unchanged polls are 304s); the others are fetched in full every time.
			server.routes.set(path, { kind: i % 3 === 0 ? 'atom' : 'rss', items, etag: i % 2 === 0, delayMs: LATENCY });
			feeds.push({ server, path, url: server.url(path), items });
		}
		// 50 guilds of 20 feeds, as imported (primed by their first poll).
		for (let i = 0; i < FEEDS; i += 500) {
			const part = feeds.slice(i, i + 500);
			await query(
				db.url,
				`insert into dailies_feed (guild_id, url, kind, channel_id, next_poll_at, primed)
				 select g, u, 'rss', '200000000000000001', now() - interval '1 second', false from unnest($1::text[], $2::text[]) as t(g, u)`,
				[part.map((_, j) => String(100_000_000_000_000_000n + BigInt((i + j) % 50))), part.map((feed) => feed.url)]
			);
		}
		const urlsFile = join(dir, 'urls.json');
		await writeFile(urlsFile, JSON.stringify(feeds.map((feed) => feed.url)));

		const priming = await runCycle('facet', db.url, urlsFile);
		// Between the cycles every tenth feed publishes an item.
		feeds.forEach((feed, i) => {
			if (i % 10 === 0) feed.items.push(...makeItems(1, { prefix: `f${i}`, from: 21, start }));
		});
		await query(db.url, "update dailies_feed set next_poll_at = now() - interval '1 second'");
		for (const server of servers) {
			server.hits.clear();
			server.notModified = 0;
		}
		const measured = await runCycle('facet', db.url, urlsFile);
		const requests = feeds.map((feed) => feed.server.count(feed.path));
		const oneEach = requests.every((count) => count === 1);
		const notModified = servers.reduce((sum, server) => sum + server.notModified, 0);
		const baseline = await runCycle('bare', db.url, urlsFile);
		const result = {
			feeds: FEEDS,
			hosts: HOSTS.length,
			latencyMs: LATENCY,
			priming,
			cycle: measured,
			baseline,
			requestsPerFeed: oneEach ? 1 : `not one each: ${requests.filter((c) => c !== 1).length} feeds differ`,
			notModified,
			wallRatio: Number((measured.wallMs / baseline.wallMs).toFixed(2)),
			cpuRatio: Number((measured.cpuMs / Math.max(1, baseline.cpuMs)).toFixed(2)),
			withinTarget: measured.wallMs <= 60_000
		};
		console.log(
			[
				`feeds-poll: ${FEEDS} feeds on ${HOSTS.length} hosts, ${LATENCY} ms answer delay, concurrency 8, 2 per host`,
				`  priming cycle : ${priming.wallMs} ms wall, ${priming.cpuMs} ms CPU, ${priming.peakRssMb} MB peak RSS, ${priming.polled} polled`,
				`  measured cycle: ${measured.wallMs} ms wall, ${measured.cpuMs} ms CPU, ${measured.peakRssMb} MB peak RSS, ${measured.polled} polled, ${measured.posted} posted, ${notModified} answered 304`,
				`  bare fetch    : ${baseline.wallMs} ms wall, ${baseline.cpuMs} ms CPU, ${baseline.peakRssMb} MB peak RSS (8 at a time, no per-host limit, no parsing, no database)`,
				`  requests per feed: ${result.requestsPerFeed}; wall ×${result.wallRatio}, CPU ×${result.cpuRatio} of the baseline; target ≤ 60 s: ${result.withinTarget ? 'met' : 'MISSED'}`
			].join('\n')
		);
		if (!oneEach || measured.polled !== FEEDS) process.exitCode = 1;
		return result;
	} finally {
		await Promise.all(servers.map((server) => server.stop()));
		await db.drop();
		await rm(dir, { recursive: true, force: true });
	}
}

if (import.meta.main) await benchMain(feedsPollBench);
