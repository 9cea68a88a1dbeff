// One poll cycle in its own process, for bench/feeds-poll.ts: `node feeds-poller.ts <mode> <database url> <urls.json>`.
// mode `facet` runs the dailies poller over every due feed (per-host limit on); mode `bare` fetches each URL of
// urls.json once with plain fetch, 8 at a time (the baseline). Prints one JSON line: wall and CPU time, peak RSS.
import { readFile } from 'node:fs/promises';
import type { Sender } from '../../src/plugins/dailies/lib/sender.ts';

const [mode, databaseUrl, urlsFile] = process.argv.slice(2) as ['facet' | 'bare', string, string];
const concurrency = Number(process.env.DAILIES_POLL_CONCURRENCY ?? 8);
const perHost = Number(process.env.DAILIES_POLL_PER_HOST ?? 2);

let posted = 0;
let polled = 0;
let close = async () => {};
let cycle: () => Promise<void>;
if (mode === 'facet') {
	// Loaded only here, so the baseline's peak RSS is a bare process's.
	const { MikroORM } = await import('@mikro-orm/postgresql');
	const { default: pino } = await import('pino');
	const { createOrmConfig } = await import('../../src/core/database/config.ts');
	const { dailiesPlugin } = await import('../../src/plugins/dailies/index.ts');
	const { FeedFetcher } = await import('../../src/plugins/dailies/lib/fetch.ts');
	const { FeedPoller } = await import('../../src/plugins/dailies/lib/poller.ts');
	const orm = await MikroORM.init(createOrmConfig({ clientUrl: databaseUrl, plugins: [dailiesPlugin], poolMax: concurrency + 2 }));
	const sender: Sender = {
		async send() {
			posted++;
			return String(1_000_000_000_000_000_000n + BigInt(posted));
		}
	};
	const hooks = { timeZoneOf: () => 'UTC', localeOf: () => 'en-US', alertsChannelOf: () => null };
	const poller = new FeedPoller(orm, new FeedFetcher({ allowPrivate: true }), sender, hooks, pino({ level: 'silent' }), {
		concurrency,
		perHost
	});
	cycle = async () => {
		polled = (await poller.runCycle()).polled;
	};
	close = async () => {
		await poller.stop();
		await orm.close();
	};
} else {
	const urls = JSON.parse(await readFile(urlsFile, 'utf8')) as string[];
	cycle = async () => {
		let next = 0;
		await Promise.all(
			Array.from({ length: concurrency }, async () => {
				while (next < urls.length) {
					const url = urls[next++]!;
					const answer = await fetch(url);
					await answer.text();
					polled++;
				}
			})
		);
	};
}
const cpu = process.cpuUsage();
const started = performance.now();
await cycle();
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(
	`${JSON.stringify({ mode, polled, posted, wallMs: Math.round(wallMs), cpuMs: Math.round((used.user + used.system) / 1000), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`
);
await close();
