import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../helpers/sandbox.ts';
import { FixtureServer, makeItems } from './fixture-server.ts';
import { Engine } from './harness.ts';

// Two worker processes poll the same 200 due feeds at the same time: every new item is posted exactly once and no
// feed is fetched twice, because feeds are claimed in the database.

const FEEDS = 200;
let engine: Engine;
let server: FixtureServer;

beforeAll(async () => {
	server = await new FixtureServer().start();
	engine = await new Engine().start();
});

afterAll(async () => {
	await engine?.stop();
	await server?.stop();
});

function runWorker(name: string): Promise<{ name: string; polled: number; posted: number }> {
	const script = fileURLToPath(new URL('./poll-worker.ts', import.meta.url));
	const child = spawn(process.execPath, [script, engine.db.url, server.base, name], { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let err = '';
	child.stdout.on('data', (chunk) => {
		out += chunk;
	});
	child.stderr.on('data', (chunk) => {
		err += chunk;
	});
	return new Promise((resolve, reject) => {
		child.on('exit', (code) =>
			code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`worker ${name} exited ${code}: ${err}`))
		);
	});
}

describe('GIVEN two worker processes and 200 due feeds', () => {
	it('THEN each new item is posted exactly once and each feed fetched once', async () => {
		const start = new Date(engine.clock.now.getTime() - 3_600_000);
		const feeds: { path: string; items: ReturnType<typeof makeItems> }[] = [];
		for (let i = 0; i < FEEDS; i++) {
			const path = `/w${i}.xml`;
			const items = makeItems(2, { prefix: `w${i}`, start });
			server.routes.set(path, { kind: 'rss', items, etag: false, delayMs: 5 });
			feeds.push({ path, items });
			await engine.service.add(
				`${100_000_000_000_000_000n + BigInt(i % 20)}`,
				{ url: server.url(path), channelId: '200000000000000001' },
				null
			);
		}
		for (const feed of feeds) feed.items.push(...makeItems(3, { from: 3, prefix: feed.path.slice(1, -4), start }));
		await engine.sql("update dailies_feed set next_poll_at = now() - interval '1 second'");
		server.hits.clear();
		server.routes.set('/_ready/a', { kind: 'status', status: 204 });
		server.routes.set('/_ready/b', { kind: 'status', status: 204 });
		server.routes.set('/_go', { kind: 'status', status: 404 });
		const workers = Promise.all([runWorker('a'), runWorker('b')]);
		await waitUntil(() => server.count('/_ready/a') > 0 && server.count('/_ready/b') > 0, Boolean, 30_000);
		server.routes.set('/_go', { kind: 'status', status: 200 });
		const [a, b] = await workers;

		expect(a.polled + b.polled).toBe(FEEDS);
		expect(a.polled).toBeGreaterThan(0);
		expect(b.polled).toBeGreaterThan(0);
		for (const feed of feeds) expect(server.count(feed.path)).toBe(1);
		const posted = server.sink.map((post) => post.payload.embeds?.[0]?.title ?? post.payload.content);
		expect(posted).toHaveLength(FEEDS * 3);
		expect(new Set(posted).size).toBe(FEEDS * 3);
		expect(a.posted + b.posted).toBe(FEEDS * 3);
	}, 120_000);
});
