import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DailiesError } from '../../../src/plugins/dailies/lib/errors.ts';
import { FeedFetcher } from '../../../src/plugins/dailies/lib/fetch.ts';
import { SendError } from '../../../src/plugins/dailies/lib/sender.ts';
import { FixtureServer, makeItems as makeFixtureItems } from './fixture-server.ts';
import { Engine, postText } from './harness.ts';

// The feed engine (fetcher, parser, poller, delivery rules, service) against a local fixture server and a real
// PostgreSQL database, on a clock the tests move. Discord is a recording sender here; feeds.e2e.test.ts goes
// through the emulator.

let guildSeq = 100_000_000_000_000_000n;
/** Each test has its own guild, and polls only that guild's feeds. */
let GUILD = '';
const CHANNEL = '200000000000000001';
const FIVE_MIN = 5 * 60_000;

let engine: Engine;
let server: FixtureServer;
let path = 0;

/** A fresh path on the fixture server, so tests do not share feeds. */
const fresh = (name: string) => `/${name}-${++path}`;

const feedRow = async (id: number) => (await engine.sql<Record<string, unknown>>('select * from dailies_feed where id = ?', [id]))[0]!;

/** Moves the clock past the feed's next poll and runs one cycle. */
async function pollAfter(ms = FIVE_MIN + 1000) {
	engine.clock.advance(ms);
	return engine.poller.runCycle([GUILD]);
}

/** Fixture items dated an hour before the test clock (items a day older than the feed are too old to post). */
const makeItems = (count: number, options: Parameters<typeof makeFixtureItems>[1] = {}) =>
	makeFixtureItems(count, { start: new Date(engine.clock.now.getTime() - 3_600_000), ...options });

beforeAll(async () => {
	server = await new FixtureServer().start();
	engine = await new Engine().start();
});

afterAll(async () => {
	await engine?.stop();
	await server?.stop();
});

beforeEach(() => {
	GUILD = String(++guildSeq);
	engine.sender.posts.length = 0;
});

const add = (url: string, extra: Record<string, unknown> = {}, guild = GUILD) =>
	engine.service.add(guild, { url, channelId: CHANNEL, ...extra }, null);

describe('GIVEN feeds of every kind on the fixture server', () => {
	for (const kind of ['rss', 'atom', 'json'] as const) {
		it(`THEN a ${kind} feed added with 50 items posts only the newest, and later polls post new items oldest first`, async () => {
			const p = fresh(kind);
			const items = makeItems(50, { prefix: p.slice(1) });
			server.routes.set(p, { kind, items, title: `The ${kind} feed` });
			const { feed, postedMessageId, inspection } = await add(server.url(p));
			expect(feed.kind).toBe(kind);
			expect(inspection.title).toBe(`The ${kind} feed`);
			expect(postedMessageId).not.toBeNull();
			expect(engine.sender.posts).toHaveLength(1);
			expect(postText(engine.sender.posts[0]!)).toContain(`${p.slice(1)} 50`);
			const [{ n }] = (await engine.sql<{ n: string }>('select count(*) as n from dailies_seen_item where feed_id = ?', [feed.id])) as [
				{ n: string }
			];
			expect(Number(n)).toBe(50);

			items.push(...makeItems(2, { from: 51, prefix: p.slice(1) }));
			await pollAfter();
			expect(engine.sender.posts.map(postText).slice(1)).toEqual([
				expect.stringContaining(`${p.slice(1)} 51`),
				expect.stringContaining(`${p.slice(1)} 52`)
			]);
		});
	}

	it('THEN a YouTube @handle resolves through its channel page to the channel feed', async () => {
		const channelId = 'UCabcdefghijklmnopqrstuv';
		server.routes.set('/@fixturetube', {
			kind: 'raw',
			contentType: 'text/html',
			body: `<!doctype html><html><head><link rel="canonical" href="https://www.youtube.com/channel/${channelId}"></head><body>…</body></html>`
		});
		server.routes.set(`/feeds/videos.xml?channel_id=${channelId}`, {
			kind: 'youtube',
			items: makeItems(3, { prefix: 'video' }),
			title: 'Fixture Tube'
		});
		const service = new (
			engine.service.constructor as typeof engine.service.constructor & (new (...args: never[]) => typeof engine.service)
		)(...([engine.orm, engine.fetcher, engine.sender, engine.hooks, { youtubeBase: server.base, now: () => engine.clock.now }] as never[]));
		const { feed } = await service.add(GUILD, { url: '@fixturetube', channelId: CHANNEL }, null);
		expect(feed.kind).toBe('youtube');
		expect(feed.url).toBe(`${server.base}/feeds/videos.xml?channel_id=${channelId}`);
		expect(feed.source).toBe('@fixturetube');
		expect(feed.title).toBe('Fixture Tube');
		// A channel id alone needs no page.
		const again = await service.inspect(channelId);
		expect(again.url).toBe(feed.url);
	});
});

describe('GIVEN a feed with an ETag', () => {
	it('THEN later polls are conditional: a 304 posts nothing and counts as a success', async () => {
		const p = fresh('etag');
		server.routes.set(p, { kind: 'rss', items: makeItems(3) });
		const { feed } = await add(server.url(p));
		const before = server.notModified;
		await pollAfter();
		expect(server.notModified).toBe(before + 1);
		expect(engine.sender.posts).toHaveLength(1);
		const row = await feedRow(feed.id);
		expect(row.consecutive_failures).toBe(0);
		expect(row.last_success_at).not.toBeNull();
		const log = await engine.service.log(GUILD, feed.id);
		expect(log.polls[0]!.httpStatus).toBe(304);
	});
});

describe('GIVEN a feed that gains 30 items at once', () => {
	it('THEN one poll posts the 5 oldest new ones, then one digest linking the other 25, and the log says why', async () => {
		const p = fresh('burst');
		const items = makeItems(10, { prefix: 'burst' });
		server.routes.set(p, { kind: 'rss', items });
		const { feed } = await add(server.url(p));
		engine.sender.posts.length = 0;
		items.push(...makeItems(30, { from: 11, prefix: 'burst' }));
		await pollAfter();
		const posts = engine.sender.posts;
		expect(posts).toHaveLength(6);
		expect(posts.slice(0, 5).map(postText)).toEqual([11, 12, 13, 14, 15].map((n) => expect.stringContaining(`burst ${n}`)));
		expect(posts[5]!.payload.content).toMatch(/25 more new items/);
		expect(posts[5]!.payload.content).toContain('burst 40');
		expect(posts[5]!.payload.content!.length).toBeLessThanOrEqual(2000);
		const [poll] = (await engine.service.log(GUILD, feed.id)).polls;
		expect(poll!.posted).toBe(5);
		expect(poll!.skipped.capped).toBe(25);
		expect(poll!.items.find((item) => item.title === 'burst 20')).toMatchObject({
			outcome: 'capped',
			reason: expect.stringMatching(/cap of 5.*digest/)
		});
		await pollAfter();
		expect(engine.sender.posts).toHaveLength(6);
	});
});

describe('GIVEN six hours of downtime', () => {
	it('THEN the first poll after it holds the catch-up policy (5 items, one digest) and nothing is posted twice', async () => {
		const p = fresh('downtime');
		const start = engine.clock.now;
		const items = makeItems(5, { prefix: 'dt', start: new Date(start.getTime() - 10 * 60_000) });
		server.routes.set(p, { kind: 'atom', items });
		await add(server.url(p));
		engine.sender.posts.length = 0;
		// One item every 5 minutes for 6 hours while the bot is down.
		for (let i = 1; i <= 72; i++)
			items.push({ ...makeItems(1, { from: 100 + i, prefix: 'dt' })[0]!, published: new Date(start.getTime() + i * FIVE_MIN) });
		await pollAfter(6 * 3_600_000);
		expect(engine.sender.posts).toHaveLength(6);
		expect(postText(engine.sender.posts[0]!)).toContain('dt 101');
		expect(engine.sender.posts[5]!.payload.content).toMatch(/67 more new items/);
		await pollAfter();
		expect(engine.sender.posts).toHaveLength(6);
	});

	it('THEN with the "skip" policy the rest is skipped, not digested', async () => {
		const p = fresh('skip');
		const items = makeItems(2, { prefix: 'sk' });
		server.routes.set(p, { kind: 'rss', items });
		const { feed } = await add(server.url(p), { catchUp: 'skip' });
		engine.sender.posts.length = 0;
		items.push(...makeItems(12, { from: 3, prefix: 'sk' }));
		await pollAfter();
		expect(engine.sender.posts).toHaveLength(5);
		const [poll] = (await engine.service.log(GUILD, feed.id)).polls;
		expect(poll!.items.filter((item) => item.outcome === 'capped')).toHaveLength(7);
	});
});

describe('GIVEN filters', () => {
	it('THEN a filtered item is not posted and the delivery log says which keyword', async () => {
		const p = fresh('filters');
		const items = makeItems(1, { prefix: 'f' });
		server.routes.set(p, { kind: 'rss', items });
		const { feed } = await add(server.url(p), { exclude: ['sponsored'] });
		engine.sender.posts.length = 0;
		items.push({ ...makeItems(1, { from: 2, prefix: 'f' })[0]!, title: 'A Sponsored post' }, makeItems(1, { from: 3, prefix: 'f' })[0]!);
		await pollAfter();
		expect(engine.sender.posts.map(postText)).toEqual([expect.stringContaining('f 3')]);
		const [poll] = (await engine.service.log(GUILD, feed.id)).polls;
		expect(poll!.items.find((item) => item.title === 'A Sponsored post')).toMatchObject({
			outcome: 'filtered',
			reason: 'contains the excluded keyword "sponsored"'
		});
		expect(poll!.skipped.filtered).toBe(1);
	});
});

describe('GIVEN failing feeds', () => {
	it('THEN 429 with Retry-After backs the feed off at least that long', async () => {
		const p = fresh('ratelimited');
		server.routes.set(p, { kind: 'rss', items: makeItems(2) });
		const { feed } = await add(server.url(p));
		server.routes.set(p, { kind: 'status', status: 429, headers: { 'retry-after': '7200' } });
		await pollAfter();
		const row = await feedRow(feed.id);
		expect(row.consecutive_failures).toBe(1);
		expect(row.last_error).toBe('HTTP 429');
		expect(new Date(row.next_poll_at as string).getTime() - engine.clock.now.getTime()).toBeGreaterThanOrEqual(7_200_000);
		const hits = server.count(p);
		await pollAfter(3_600_000);
		expect(server.count(p)).toBe(hits);
	});

	it('THEN five 500s in a row pause the feed and post exactly one notice; resume polls it again', async () => {
		const p = fresh('broken');
		const items = makeItems(2, { prefix: 'br' });
		server.routes.set(p, { kind: 'rss', items, title: 'Broken feed' });
		const { feed } = await add(server.url(p));
		engine.sender.posts.length = 0;
		server.routes.set(p, { kind: 'status', status: 500 });
		for (let i = 0; i < 8; i++) await pollAfter(7 * 3_600_000);
		expect(server.count(p)).toBe(1 + 5);
		const row = await feedRow(feed.id);
		expect(row.state).toBe('paused_failures');
		expect(row.paused_reason).toMatch(/5 failed polls in a row; last: HTTP 500/);
		expect(engine.sender.posts).toHaveLength(1);
		expect(engine.sender.posts[0]!.payload.content).toMatch(/Broken feed.*paused.*HTTP 500[\s\S]*\/dailies feed resume feed:/);
		expect(row.notice_message_id).toBe(engine.sender.posts[0]!.messageId);
		const listed = (await engine.service.list(GUILD)).find((f) => f.id === feed.id)!;
		expect(listed).toMatchObject({ state: 'paused_failures', lastError: 'HTTP 500' });

		server.routes.set(p, { kind: 'rss', items: [...items, ...makeItems(1, { from: 3, prefix: 'br' })], title: 'Broken feed' });
		await engine.service.resume(GUILD, feed.id);
		await engine.poller.runCycle([GUILD]);
		expect(engine.sender.posts.map(postText).slice(1)).toEqual([expect.stringContaining('br 3')]);
		expect((await feedRow(feed.id)).state).toBe('active');
	});

	const failures: [string, () => Parameters<FixtureServer['routes']['set']>[1], RegExp][] = [
		['a slow response', () => ({ kind: 'slow', delayMs: 5_000 }), /no complete answer within 1 s/],
		['an oversized body', () => ({ kind: 'oversized', bytes: 3 * 1024 * 1024 }), /larger than 2 MB/],
		['an oversized body without a length', () => ({ kind: 'oversized', bytes: 3 * 1024 * 1024, chunked: true }), /larger than 2 MB/],
		[
			'malformed XML',
			() => ({ kind: 'raw', contentType: 'application/rss+xml', body: '<rss><channel><title>x</ti' }),
			/not (well-formed|an RSS)/
		],
		[
			'an HTML page',
			() => ({ kind: 'raw', contentType: 'text/html', body: '<!doctype html><html><body>hi</body></html>' }),
			/web page, not a feed/
		],
		[
			'a redirect to a metadata address',
			() => ({ kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' }),
			/169\.254\.169\.254 is a cloud metadata address/
		]
	];
	for (const [name, route, error] of failures) {
		it(`THEN ${name} is a failed poll with a clear last error, and nothing crashes`, async () => {
			const p = fresh('failing');
			server.routes.set(p, { kind: 'rss', items: makeItems(2) });
			const { feed } = await add(server.url(p));
			server.routes.set(p, route());
			const cycle = await pollAfter();
			expect(cycle.failed).toBe(1);
			const row = await feedRow(feed.id);
			expect(row.consecutive_failures).toBe(1);
			expect(row.last_error).toMatch(error);
			expect(row.state).toBe('active');
		});
	}
});

describe('GIVEN an alerts channel and a channel the bot may not post in', () => {
	it('THEN the pause notice goes to the alerts channel, and missing permissions pause the feed with that reason', async () => {
		const alerts = '400000000000000001';
		const p = fresh('alerts');
		const items = makeItems(1, { prefix: 'al' });
		server.routes.set(p, { kind: 'rss', items });
		const { feed } = await add(server.url(p));
		engine.sender.posts.length = 0;
		const original = engine.hooks.alertsChannelOf;
		engine.hooks.alertsChannelOf = () => alerts;
		try {
			server.routes.set(p, { kind: 'status', status: 503 });
			for (let i = 0; i < 5; i++) await pollAfter(7 * 3_600_000);
			expect(engine.sender.posts.map((post) => post.channelId)).toEqual([alerts]);
		} finally {
			engine.hooks.alertsChannelOf = original;
		}
		const q = fresh('noperm');
		const more = makeItems(1, { prefix: 'np' });
		server.routes.set(q, { kind: 'rss', items: more });
		const locked = '500000000000000001';
		const second = await engine.service.add(GUILD, { url: server.url(q), channelId: locked }, null);
		engine.sender.failing.set(
			locked,
			new SendError('permission', 'the bot may not post in the channel (missing View Channel, Send Messages or Embed Links)')
		);
		more.push(...makeItems(1, { from: 2, prefix: 'np' }));
		await pollAfter();
		engine.sender.failing.delete(locked);
		expect(await feedRow(second.feed.id)).toMatchObject({ state: 'paused_channel', paused_reason: expect.stringMatching(/may not post/) });
		expect((await feedRow(feed.id)).state).toBe('paused_failures');
	});
});

describe('GIVEN a channel that is gone', () => {
	it('THEN the feed is paused with that reason, not retried, and its items are kept for after the resume', async () => {
		const p = fresh('nochannel');
		const items = makeItems(1, { prefix: 'nc' });
		server.routes.set(p, { kind: 'rss', items });
		const channel = '300000000000000001';
		const { feed } = await engine.service.add(GUILD, { url: server.url(p), channelId: channel }, null);
		engine.sender.failing.set(channel, new SendError('channel', 'the channel no longer exists'));
		items.push(...makeItems(2, { from: 2, prefix: 'nc' }));
		await pollAfter();
		const row = await feedRow(feed.id);
		expect(row.state).toBe('paused_channel');
		expect(row.paused_reason).toBe('the channel no longer exists');
		const hits = server.count(p);
		await pollAfter();
		expect(server.count(p)).toBe(hits);
		engine.sender.failing.delete(channel);
		engine.sender.posts.length = 0;
		await engine.service.resume(GUILD, feed.id);
		await engine.poller.runCycle([GUILD]);
		expect(engine.sender.posts.map(postText)).toEqual([expect.stringContaining('nc 2'), expect.stringContaining('nc 3')]);
	});
});

describe('GIVEN restarts and re-adds', () => {
	it('THEN a restart between polls reposts nothing', async () => {
		const p = fresh('restart');
		const items = makeItems(3, { prefix: 'rs' });
		server.routes.set(p, { kind: 'rss', items, etag: false });
		await add(server.url(p));
		items.push(makeItems(1, { from: 4, prefix: 'rs' })[0]!);
		await pollAfter();
		expect(engine.sender.posts).toHaveLength(2);
		// A new process: new ORM, fetcher, poller and service over the same database.
		await engine.poller.stop();
		const orm = await engine.connect();
		engine.build({}, orm);
		try {
			await pollAfter();
			await pollAfter();
			expect(engine.sender.posts).toHaveLength(2);
		} finally {
			await engine.poller.stop();
			await orm.close();
			engine.build();
		}
	});

	it('THEN removing and adding a feed again posts nothing already seen', async () => {
		const p = fresh('readd');
		server.routes.set(p, { kind: 'rss', items: makeItems(4, { prefix: 'ra' }) });
		const { feed } = await add(server.url(p));
		expect(engine.sender.posts).toHaveLength(1);
		await engine.service.remove(GUILD, feed.id);
		const again = await add(server.url(p));
		expect(again.feed.id).toBe(feed.id);
		expect(again.postedMessageId).toBeNull();
		expect(engine.sender.posts).toHaveLength(1);
	});
});

describe('GIVEN previews', () => {
	it('THEN the preview of the newest item equals the payload the poller posts for it', async () => {
		const p = fresh('preview');
		const items = makeItems(1, { prefix: 'pv' });
		server.routes.set(p, { kind: 'rss', items });
		for (const [format, template] of [
			['text', '{feed} — {title} by {author} at {published}\n{summary}\n{link}'],
			['embed', '{summary} ({published})']
		] as const) {
			server.routes.set(`${p}?${format}`, { kind: 'rss', items });
			const { feed } = await add(`${server.url(p)}?${format}`, { format, template });
			server.routes.set(`${p}?${format}`, {
				kind: 'rss',
				items: [
					...items,
					{ ...makeItems(1, { from: 2, prefix: 'pv' })[0]!, author: 'ann@example.org (Ann)', summary: `<p>${'long '.repeat(300)}</p>` }
				]
			});
			engine.sender.posts.length = 0;
			await pollAfter();
			const preview = await engine.service.preview(GUILD, feed.id);
			expect(engine.sender.posts).toHaveLength(1);
			expect(preview.payload).toEqual(engine.sender.posts[0]!.payload);
			if (format === 'text') expect(preview.payload!.content).toContain('Dec 2026');
		}
	});
});

describe('GIVEN bad input', () => {
	const count = async () => Number((await engine.sql<{ n: string }>('select count(*) as n from dailies_feed'))[0]!.n);
	const refused: [string, () => Promise<unknown>, RegExp][] = [
		['an invalid URL', () => add('not a url'), /url: is not a valid URL/],
		['a non-http URL', () => add('ftp://example.org/feed'), /url: must start with http/],
		[
			'a non-feed page',
			() => {
				server.routes.set('/page', {
					kind: 'raw',
					contentType: 'text/html',
					body: '<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/real.xml"></head></html>'
				});
				return add(server.url('/page'));
			},
			/web page, not a feed; it links a feed at http:\/\/127\.0\.0\.1:\d+\/real\.xml/
		],
		['an unknown placeholder', () => add(server.url('/never'), { template: '{title} {nope}' }), /template: unknown placeholder \{nope\}/],
		[
			'a template over Discord’s limits',
			() => add(server.url('/never'), { format: 'text', template: 'x'.repeat(2001) }),
			/template: is 2001 characters; Discord allows 2000/
		],
		[
			'a channel that is not the server’s',
			() => add(server.url('/never'), { channelId: '900000000000000001' }),
			/channelId: is not a channel/
		]
	];
	for (const [name, run, message] of refused) {
		it(`THEN ${name} is refused with a clear error and nothing is saved`, async () => {
			const before = await count();
			const error = await run().catch((e: unknown) => e);
			expect(error).toBeInstanceOf(DailiesError);
			expect((error as Error).message).toMatch(message);
			expect(await count()).toBe(before);
			expect(engine.sender.posts).toHaveLength(0);
		});
	}

	it('THEN a private address is refused when the host does not allow private feeds, at the first hop and at a redirect', async () => {
		server.routes.set('/ok', { kind: 'rss', items: makeItems(1) });
		const strict = new FeedFetcher({ allowPrivate: false, timeoutMs: 1_000 });
		await expect(strict.fetch(server.url('/ok'))).rejects.toThrow(/127\.0\.0\.1 is a loopback address/);
		await expect(strict.fetch(`http://localhost:${server.port}/ok`)).rejects.toThrow(/localhost is a loopback address/);
		await expect(strict.fetch('http://[::ffff:10.0.0.1]/')).rejects.toThrow(/private address/);
		await strict.close();
		// Treat 127.0.0.2 as private: the first hop (127.0.0.1) is fetched, the redirect to .2 is refused on connect.
		const hopping = new FeedFetcher({
			allowPrivate: true,
			timeoutMs: 1_000,
			blocked: (address) => (address === '127.0.0.2' ? 'private' : null)
		});
		server.routes.set('/hop', { kind: 'redirect', location: `http://127.0.0.2:${server.port}/ok` });
		await expect(hopping.fetch(server.url('/hop'))).rejects.toThrow(/127\.0\.0\.2 is a private address/);
		await hopping.close();
		const before = await count();
		const service = new (engine.service.constructor as new (...args: never[]) => typeof engine.service)(
			...([engine.orm, new FeedFetcher({ allowPrivate: false }), engine.sender, engine.hooks, {}] as never[])
		);
		await expect(service.add(GUILD, { url: server.url('/ok'), channelId: CHANNEL }, null)).rejects.toThrow(
			/url: 127\.0\.0\.1 is a loopback address/
		);
		expect(await count()).toBe(before);
	});

	it('THEN redirects are followed up to 3, not more', async () => {
		server.routes.set('/r0', { kind: 'rss', items: makeItems(1) });
		for (let i = 1; i <= 4; i++) server.routes.set(`/r${i}`, { kind: 'redirect', location: `/r${i - 1}` });
		await expect(engine.fetcher.fetch(server.url('/r3'))).resolves.toMatchObject({ status: 200 });
		await expect(engine.fetcher.fetch(server.url('/r4'))).rejects.toThrow(/more than 3 redirects/);
	});
});

describe('GIVEN the host limit', () => {
	it('THEN a guild at its limit is refused with a message that says so', async () => {
		const guild = '100000000000000777';
		const service = new (engine.service.constructor as new (...args: never[]) => typeof engine.service)(
			...([engine.orm, engine.fetcher, engine.sender, engine.hooks, { maxFeeds: 2, now: () => engine.clock.now }] as never[])
		);
		for (let i = 0; i < 2; i++) {
			server.routes.set(`/limit${i}`, { kind: 'rss', items: makeItems(1) });
			await service.add(guild, { url: server.url(`/limit${i}`), channelId: CHANNEL }, null);
		}
		server.routes.set('/limit2', { kind: 'rss', items: makeItems(1) });
		await expect(service.add(guild, { url: server.url('/limit2'), channelId: CHANNEL }, null)).rejects.toThrow(
			'This server follows 2 feeds; the host allows 2 per server. Remove one first.'
		);
	});
});
