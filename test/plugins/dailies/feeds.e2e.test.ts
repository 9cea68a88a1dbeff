import { container } from '@sapphire/framework';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugin } from '../../../src/plugins/config/index.ts';
import { dailiesPlugin } from '../../../src/plugins/dailies/index.ts';
import { type ApiBot, type Browser, DASHBOARD_ORIGIN, login, startApiBot } from '../../api/helpers.ts';
import { query } from '../../helpers/postgres.ts';
import { controlRequest, interact, sleep, waitUntil, withCommandOpenToEveryone } from '../../helpers/sandbox.ts';
import { FixtureServer, makeItems } from './fixture-server.ts';

// The feeds end to end: the bot in this process against the emulator, polling through its scheduled task
// (BullMQ on the real Redis), commands through the control API, routes through a logged-in browser.

let bot: ApiBot;
let server: FixtureServer;
let seed: ApiBot['emulator']['seed'];
let grace: Browser;
let api: string;
let otherGuildId: string;
let otherChannelId: string;

interface Answer {
	status: number;
	// biome-ignore lint/suspicious/noExplicitAny: answers are JSON read loosely by the assertions
	body: Record<string, any>;
	text: string;
}

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
	const response = await grace.fetch(`${bot.base}${path}`, {
		method,
		headers: { origin: DASHBOARD_ORIGIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	const text = await response.text();
	let parsed: Record<string, unknown> = {};
	try {
		parsed = text ? JSON.parse(text) : {};
	} catch {
		parsed = {};
	}
	return { status: response.status, body: parsed, text };
}

const run = (user: string, command: string, options?: Record<string, unknown>) => interact(bot.emulator, { user, command, options });

const messagesIn = async (channelId: string) =>
	(await (await fetch(`${bot.emulator.baseUrl}/_emulator/channels/${channelId}/messages`)).json()) as {
		id: string;
		content: string;
		embeds: { title?: string; description?: string; url?: string }[];
	}[];

const feedCount = async (guildId = seed.guildId) =>
	Number(
		(
			await query<{ n: string }>(bot.db.url, "select count(*) as n from dailies_feed where guild_id = $1 and state <> 'removed'", [guildId])
		)[0]!.n
	);

/** Makes a feed due now; the poll task (every second here) picks it up. */
const due = (feedId: string | number) =>
	query(bot.db.url, "update dailies_feed set next_poll_at = now() - interval '1 second' where id = $1", [Number(feedId)]);

beforeAll(async () => {
	server = await new FixtureServer().start();
	bot = await startApiBot({
		plugins: [configPlugin, dailiesPlugin],
		env: { DAILIES_ALLOW_PRIVATE_FEEDS: 'true', DAILIES_POLL_TICK_MS: '1000', DAILIES_MAX_FEEDS: '4', API_RATE_LIMIT_MAX: '100000' }
	});
	seed = bot.emulator.seed;
	api = `/dailies/guilds/${seed.guildId}`;
	grace = (await login(bot, 'grace')).browser;
	const created = await controlRequest(bot.emulator, 'POST', '/_emulator/guilds', { name: 'Other Guild', owner_id: seed.users.grace });
	otherGuildId = (created.body as unknown as { id: string }).id;
	await waitUntil(() => container.client.guilds.cache.has(otherGuildId), Boolean, 10_000);
	otherChannelId = container.client.guilds.cache.get(otherGuildId)!.channels.cache.find((channel) => channel.isTextBased())!.id;
	// A new emulator guild gives @everyone no permissions: let the bot post feeds there.
	const everyone = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks;
	await controlRequest(bot.emulator, 'PATCH', `/_emulator/roles/${otherGuildId}`, {
		guild_id: otherGuildId,
		permissions: String(everyone)
	});
	await waitUntil(() => container.client.guilds.cache.get(otherGuildId)!.roles.everyone.permissions.has(everyone), Boolean, 10_000);
}, 60_000);

afterAll(async () => {
	await bot?.stop();
	await server?.stop();
});

describe('GIVEN /dailies feed add through the emulator', () => {
	let feedId: string;

	it('THEN a member without Manage Server is refused', async () => {
		server.routes.set('/news.xml', {
			kind: 'rss',
			items: makeItems(50, { prefix: 'news', start: new Date(Date.now() - 3_600_000) }),
			title: 'Fixture News'
		});
		const add = () => run(seed.users.linus, 'dailies feed add', { url: server.url('/news.xml') });
		expect((await add()).status).toBe(403);
		const reply = await withCommandOpenToEveryone(bot.emulator, 'dailies', add);
		expect(reply.body.ephemeral).toBe(true);
		expect(reply.body.content).toMatch(/permission|Manage Server/i);
		expect(await feedCount()).toBe(0);
	});

	it('THEN it shows the title and newest item before saving, and the Add button saves it and posts only that item', async () => {
		const reply = await run(seed.users.grace, 'dailies feed add', { url: server.url('/news.xml'), channel: seed.channels.feeds });
		expect(reply.body.content).toMatch(/\*\*Fixture News\*\* \(rss, 50 items\)/);
		expect(reply.body.embeds?.[0]?.title).toBe('news 50');
		expect(await feedCount()).toBe(0);
		const confirm = reply.body.components![0]!.components.find((button) => button.label === 'Add feed')!;
		const pressed = await controlRequest(bot.emulator, 'POST', '/_emulator/components', {
			message_id: reply.body.message_id,
			user_id: seed.users.grace,
			custom_id: confirm.custom_id
		});
		expect(pressed.body.content).toMatch(/Following #\d+ \*\*Fixture News\*\*.*newest item was posted/);
		feedId = /#(\d+)/.exec(pressed.body.content!)![1]!;
		const posted = await messagesIn(seed.channels.feeds);
		expect(posted.map((m) => m.embeds[0]?.title)).toEqual(['news 50']);
		// The confirmation removed the buttons: the preview cannot be used twice.
		const again = await controlRequest(bot.emulator, 'POST', '/_emulator/components', {
			message_id: reply.body.message_id,
			user_id: seed.users.grace,
			custom_id: confirm.custom_id
		});
		expect(again.body.error).toMatch(/has no component/);
		expect(await feedCount()).toBe(1);
	});

	it('THEN the poll task posts new items oldest first, and the preview route equals the real post', async () => {
		const items = makeItems(2, { prefix: 'news', from: 51, start: new Date(Date.now() - 3_600_000) });
		const route = server.routes.get('/news.xml') as { items: unknown[] };
		route.items.push(...items);
		await due(feedId);
		const posted = await waitUntil(
			() => messagesIn(seed.channels.feeds),
			(m) => m.length >= 3,
			15_000
		);
		expect(posted.map((m) => m.embeds[0]?.title)).toEqual(['news 50', 'news 51', 'news 52']);
		const preview = await call('GET', `${api}/feeds/${feedId}/preview`);
		expect(preview.status).toBe(200);
		const last = posted.at(-1)!;
		expect(preview.body.payload.embeds[0]).toMatchObject({
			title: last.embeds[0]!.title,
			url: last.embeds[0]!.url,
			description: last.embeds[0]!.description
		});
		const log = await call('GET', `${api}/feeds/${feedId}/log`);
		expect(log.body.polls[0]).toMatchObject({ httpStatus: 200, posted: 2 });
		const command = await run(seed.users.grace, 'dailies feed log', { feed: Number(feedId) });
		expect(command.body.embeds?.[0]?.description).toMatch(/news 51.*posted/);
	});

	it('THEN five failures pause it with exactly one notice, shown in the list, and resume works', async () => {
		server.routes.set('/news.xml', { kind: 'status', status: 500 });
		await query(bot.db.url, 'update dailies_feed set consecutive_failures = 4, etag = null where id = $1', [Number(feedId)]);
		await due(feedId);
		const feed = await waitUntil(
			async () => (await call('GET', `${api}/feeds`)).body.feeds?.[0],
			(f) => f?.state === 'paused_failures' && f?.health.notice !== null,
			15_000
		);
		expect(feed.health.lastError).toBe('HTTP 500');
		expect(feed.health.notice).not.toBeNull();
		await due(feedId);
		await sleep(2_500);
		const notices = (await messagesIn(seed.channels.feeds)).filter((m) => m.content.includes('is paused'));
		expect(notices).toHaveLength(1);
		expect(notices[0]!.content).toMatch(/5 failed polls in a row; last: HTTP 500[\s\S]*\/dailies feed resume feed:/);
		const listed = await run(seed.users.grace, 'dailies feed list');
		expect(listed.body.embeds?.[0]?.description).toMatch(/paused after failures[\s\S]*HTTP 500/);
		server.routes.set('/news.xml', {
			kind: 'rss',
			items: makeItems(53, { prefix: 'news', start: new Date(Date.now() - 3_600_000) }),
			title: 'Fixture News'
		});
		const resumed = await run(seed.users.grace, 'dailies feed resume', { feed: Number(feedId) });
		expect(resumed.body.content).toMatch(/Resumed #/);
		const active = await waitUntil(
			async () => (await call('GET', `${api}/feeds/${feedId}`)).body.feed,
			(f) => f?.health.lastSuccessAt !== null && f?.health.consecutiveFailures === 0,
			15_000
		);
		expect(active.state).toBe('active');
	});

	it('THEN a channel that no longer exists pauses the feed with that reason', async () => {
		await query(bot.db.url, "update dailies_feed set channel_id = '999999999999999999' where id = $1", [Number(feedId)]);
		const route = server.routes.get('/news.xml') as { items: unknown[] };
		route.items.push(...makeItems(1, { prefix: 'news', from: 60, start: new Date(Date.now() - 3_600_000) }));
		await due(feedId);
		const feed = await waitUntil(
			async () => (await call('GET', `${api}/feeds/${feedId}`)).body.feed,
			(f) => f?.state === 'paused_channel',
			15_000
		);
		expect(feed.pausedReason).toBe('the channel no longer exists');
		await query(bot.db.url, 'update dailies_feed set channel_id = $2 where id = $1', [Number(feedId), seed.channels.feeds]);
	});
});

describe('GIVEN the other feed commands', () => {
	it('THEN preview shows the newest item as posted, and opml-import from a URL follows its feeds without posting', async () => {
		const feeds = (await call('GET', `${api}/feeds`)).body.feeds as { id: string }[];
		// Resumed after its channel came back, the paused feed delivers the item it held.
		expect((await call('POST', `${api}/feeds/${feeds[0]!.id}/resume`)).status).toBe(200);
		const posted = (
			await waitUntil(
				() => messagesIn(seed.channels.feeds),
				(m) => m.some((message) => message.embeds[0]?.title === 'news 60'),
				15_000
			)
		).at(-1)!;
		expect(posted.embeds[0]!.title).toBe('news 60');
		const preview = await run(seed.users.grace, 'dailies feed preview', { feed: Number(feeds[0]!.id) });
		expect(preview.body.embeds?.[0]).toMatchObject({ title: posted.embeds[0]!.title, description: posted.embeds[0]!.description });
		server.routes.set('/cmd.xml', { kind: 'rss', items: makeItems(3, { prefix: 'cmd', start: new Date(Date.now() - 3_600_000) }) });
		server.routes.set('/list.opml', {
			kind: 'raw',
			contentType: 'text/x-opml',
			body: `<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body><outline text="Cmd" xmlUrl="${server.url('/cmd.xml')}"/></body></opml>`
		});
		const before = (await messagesIn(seed.channels.daily)).length;
		const imported = await run(seed.users.grace, 'dailies feed opml-import', {
			url: server.url('/list.opml'),
			channel: seed.channels.daily
		});
		expect(imported.body.content).toMatch(/Imported 1 feed/);
		const feed = ((await call('GET', `${api}/feeds`)).body.feeds as { id: string; url: string; channelId: string }[]).find(
			(f) => f.url === server.url('/cmd.xml')
		)!;
		expect(feed.channelId).toBe(seed.channels.daily);
		await due(feed.id);
		await waitUntil(async () => (await call('GET', `${api}/feeds/${feed.id}`)).body.feed?.health.lastSuccessAt, Boolean, 15_000);
		expect(await messagesIn(seed.channels.daily)).toHaveLength(before);
		const bad = await run(seed.users.grace, 'dailies feed opml-import', { url: server.url('/cmd.xml') });
		expect(bad.body.content).toMatch(/The OPML file is not valid: there is no <opml> element/);
	});
});

describe('GIVEN the feed routes', () => {
	it('THEN bad input is a 400 with the field at fault and saves nothing', async () => {
		server.routes.set('/page.html', { kind: 'raw', contentType: 'text/html', body: '<!doctype html><html><body>not a feed</body></html>' });
		server.routes.set('/ok.xml', { kind: 'atom', items: makeItems(2, { prefix: 'ok', start: new Date(Date.now() - 3_600_000) }) });
		const before = await feedCount();
		const cases: [unknown, string, RegExp][] = [
			[{ url: 'not a url', channelId: seed.channels.feeds }, 'url', /not a valid URL/],
			[{ url: 'http://169.254.169.254/latest/meta-data/', channelId: seed.channels.feeds }, 'url', /cloud metadata address/],
			[{ url: server.url('/page.html'), channelId: seed.channels.feeds }, 'url', /web page, not a feed/],
			[
				{ url: server.url('/ok.xml'), channelId: seed.channels.feeds, template: '{title} {bogus}' },
				'template',
				/unknown placeholder \{bogus\}/
			],
			[
				{ url: server.url('/ok.xml'), channelId: seed.channels.feeds, format: 'text', template: 'x'.repeat(2001) },
				'template',
				/Discord allows 2000/
			],
			[{ url: server.url('/ok.xml'), channelId: '12' }, 'channelId', /Discord id/],
			[{ url: server.url('/ok.xml'), channelId: seed.channels.feeds, extra: 1 }, '', /./]
		];
		for (const [body, field, message] of cases) {
			const answer = await call('POST', `${api}/feeds`, body);
			expect(answer.status, JSON.stringify(answer.body)).toBe(400);
			expect(answer.body.error).toBe('invalid_body');
			const messages =
				Object.entries(answer.body.fields as Record<string, string[]>).find(
					([key]) => key === field || (field === '' && key === '')
				)?.[1] ?? [];
			if (field) expect(messages.join(' ')).toMatch(message);
		}
		expect(await feedCount()).toBe(before);
		const dry = await call('POST', `${api}/feeds`, { url: server.url('/ok.xml'), channelId: seed.channels.feeds, dryRun: true });
		expect(dry.status).toBe(200);
		expect(dry.body).toMatchObject({ kind: 'atom', items: 2, preview: { embeds: [{ title: 'ok 2' }] } });
		expect(await feedCount()).toBe(before);
	});

	it('THEN the host limit refuses with a message that says so', async () => {
		const ids: string[] = [];
		for (let i = 0; (await feedCount()) < 4; i++) {
			server.routes.set(`/fill${i}.xml`, {
				kind: 'json',
				items: makeItems(1, { prefix: `fill${i}`, start: new Date(Date.now() - 3_600_000) })
			});
			const added = await call('POST', `${api}/feeds`, {
				url: server.url(`/fill${i}.xml`),
				channelId: seed.channels.welcome,
				template: '{feed}: {title} <{link}>',
				format: 'text',
				exclude: ['spoiler']
			});
			expect(added.status, JSON.stringify(added.body)).toBe(201);
			ids.push(added.body.feed.id);
		}
		server.routes.set('/over.xml', { kind: 'rss', items: makeItems(1) });
		const over = await call('POST', `${api}/feeds`, { url: server.url('/over.xml'), channelId: seed.channels.feeds });
		expect(over.status).toBe(409);
		expect(over.body).toMatchObject({
			error: 'dailies_feed_limit',
			message: 'This server follows 4 feeds; the host allows 4 per server. Remove one first.'
		});
	});

	it('THEN OPML export → import into another guild round-trips the feeds with channels mapped, and malformed OPML writes nothing', async () => {
		const exported = await call('GET', `${api}/feeds.opml`);
		expect(exported.status).toBe(200);
		expect(exported.text).toMatch(/^<\?xml/);
		const source = (await call('GET', `${api}/feeds`)).body.feeds as {
			url: string;
			channelId: string;
			template: string | null;
			format: string;
			exclude: string[];
		}[];
		const other = `/dailies/guilds/${otherGuildId}`;
		for (const bad of ['<opml><body><outline xmlUrl="http://x"', '<opml version="2.0"><body></body></opml>', '{"not":"xml"}']) {
			const answer = await call('POST', `${other}/feeds.opml`, { opml: bad, defaultChannelId: otherChannelId });
			expect(answer.status).toBe(400);
			expect(answer.body.fields.opml[0]).toMatch(/The OPML file is not valid/);
		}
		const unmapped = await call('POST', `${other}/feeds.opml`, { opml: exported.text });
		expect(unmapped.status).toBe(400);
		expect(await feedCount(otherGuildId)).toBe(0);
		const channels = Object.fromEntries(source.map((feed) => [feed.channelId, otherChannelId]));
		const imported = await call('POST', `${other}/feeds.opml`, { opml: exported.text, channels });
		expect(imported.status, JSON.stringify(imported.body)).toBe(201);
		const target = (await call('GET', `${other}/feeds`)).body.feeds as typeof source;
		const shape = (feeds: typeof source, channel?: string) =>
			feeds
				.map((feed) => ({
					url: feed.url,
					channelId: channel ?? feed.channelId,
					template: feed.template,
					format: feed.format,
					exclude: feed.exclude
				}))
				.sort((a, b) => a.url.localeCompare(b.url));
		expect(shape(target)).toEqual(shape(source, otherChannelId));
		// Imported feeds post nothing old: their first poll marks what is there as seen.
		for (const feed of target as unknown as { id: string }[]) await due(feed.id);
		await waitUntil(
			async () =>
				((await call('GET', `${other}/feeds`)).body.feeds as { health: { lastSuccessAt: string | null } }[]).every(
					(f) => f.health.lastSuccessAt
				),
			Boolean,
			15_000
		);
		expect(await messagesIn(otherChannelId)).toHaveLength(0);
	});

	it('THEN another guild’s feed is not reachable through this guild’s routes', async () => {
		const otherFeed = ((await call('GET', `/dailies/guilds/${otherGuildId}/feeds`)).body.feeds as { id: string }[])[0]!;
		const answer = await call('GET', `${api}/feeds/${otherFeed.id}`);
		expect(answer.status).toBe(404);
		expect(answer.body.error).toBe('dailies_unknown_feed');
	});
});
