import { container } from '@sapphire/framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugins as listedPlugins } from '../../../src/plugins/index.ts';
import { type ApiBot, type Browser, DASHBOARD_ORIGIN, login, startApiBot } from '../../api/helpers.ts';
import { query } from '../../helpers/postgres.ts';
import { interact, waitUntil } from '../../helpers/sandbox.ts';

// End to end: the bot in this process against the emulator, real PostgreSQL and Redis, the BullMQ task ticking every
// second. Time is the service's injectable clock, so days pass in seconds; the emulator's `daily` channel is read back.

const ZONE = 'America/New_York';
const ENV = { DAILIES_POSTS_TICK_MS: '1000', DAILIES_MAX_POSTS: '4', API_RATE_LIMIT_MAX: '100000' };

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];
let grace: Browser;
let api: string;
let now = new Date('2026-10-29T18:00:00Z');
let ticks = 0;

/** Points the running bot's service at the fake clock and counts the task's ticks. */
function driveClock() {
	const service = container.dailiesPosts;
	service.clock = () => now;
	const tick = service.tick.bind(service);
	service.tick = async (guildIds) => {
		const result = await tick(guildIds);
		ticks++;
		return result;
	};
}

/** Sets the fake clock and waits until the task has run twice since (so whatever was due has been handled). */
async function at(iso: string) {
	now = new Date(iso);
	const from = ticks;
	const seen = await waitUntil(
		() => ticks,
		(count) => count >= from + 2,
		15_000
	);
	expect(seen, `the posts task ticked twice after ${iso}`).toBeGreaterThanOrEqual(from + 2);
}

/** What the bot posted in the `daily` channel, oldest first. */
const dailyMessages = () =>
	bot.emulator
		.channelMessages(seed.channels.daily)
		.map((message) => message as { author: { id: string }; content: string })
		.filter((message) => message.author.id === bot.emulator.botUserId);

const run = (command: string, options?: Record<string, unknown>, user = seed.users.grace) =>
	interact(bot.emulator, { user, command, options });

async function call(method: string, path: string, body?: unknown) {
	const response = await grace.fetch(`${api}${path}`, {
		method,
		headers: { origin: DASHBOARD_ORIGIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	const text = await response.text();
	// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in the assertions.
	return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

const postCount = async () => Number((await query<{ n: string }>(bot.db.url, 'select count(*) as n from dailies_post'))[0]!.n);

beforeAll(async () => {
	bot = await startApiBot({ plugins: listedPlugins, env: ENV });
	seed = bot.emulator.seed;
	api = `${bot.base}/dailies/guilds/${seed.guildId}`;
	grace = (await login(bot, 'grace')).browser;
	driveClock();
	await container.plugins.updateSettings(
		seed.guildId,
		'config',
		{ timezone: ZONE, dailyChannel: seed.channels.daily },
		{ id: seed.users.ada, source: 'system' }
	);
});

afterAll(async () => {
	await bot?.stop();
});

describe('daily posts end to end', () => {
	it('GIVEN /dailies post add and days passing across the New York fall-back THEN the daily channel gets exactly one post per local day, at 09:00 local', async () => {
		const added = await run('dailies post add', { time: '09:00', message: 'Good morning ☀️' });
		expect(added.body.content).toMatch(
			/Daily post #\d+ saved: 09:00 every day \(America\/New_York, the server’s zone\) in the daily channel/
		);
		const listed = await run('dailies post list');
		expect(listed.body.embeds?.[0]?.description).toMatch(/next: Fri 2026-10-30 09:00 \(America\/New_York\)/);

		const days = ['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02'];
		// 09:00 New York is 13:00Z in EDT and 14:00Z in EST (from 1 Nov).
		const nine = ['13:00', '13:00', '14:00', '14:00'];
		for (const [i, day] of days.entries()) {
			const [h, m] = nine[i]!.split(':').map(Number) as [number, number];
			const before = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8)), h, m) - 60_000);
			await at(before.toISOString());
			expect(dailyMessages(), `before 09:00 on ${day}`).toHaveLength(i);
			await at(new Date(before.getTime() + 90_000).toISOString());
			await waitUntil(dailyMessages, (list) => list.length === i + 1, 10_000);
			// The rest of the local day: more ticks, no second post.
			await at(new Date(before.getTime() + 10 * 3_600_000).toISOString());
			expect(dailyMessages(), `after ${day}`).toHaveLength(i + 1);
		}
		expect(dailyMessages().map((message) => message.content)).toEqual(Array(4).fill('Good morning ☀️'));
		const runs = await query<{ local_date: string; status: string }>(
			bot.db.url,
			'select local_date, status from dailies_post_run order by local_date'
		);
		expect(runs).toEqual(days.map((day) => ({ local_date: day, status: 'posted' })));
	});

	it('GIVEN a preview by command and by route THEN both are exactly what the next run posts', async () => {
		const prompts = ['First prompt', 'Second prompt', 'Third prompt'];
		const created = await call('POST', '/posts', { time: '10:00', prompts });
		expect(created.status).toBe(201);
		const id = created.body.post.id as string;
		const byRoute = await call('GET', `/posts/${id}/preview`);
		expect(byRoute.status).toBe(200);
		expect(byRoute.body.nextRun.local).toBe('Tue 2026-11-03 10:00 (America/New_York)');
		const byCommand = await run('dailies post preview', { post: Number(id) });
		expect(byCommand.body.content).toBe(byRoute.body.message.content);
		await at('2026-11-03T15:00:20Z');
		const posted = await waitUntil(
			() => dailyMessages().filter((message) => prompts.includes(message.content)),
			(list) => list.length > 0,
			10_000
		);
		expect(posted.map((message) => message.content)).toEqual([byRoute.body.message.content]);
	});

	it('GIVEN bad input by route or command THEN a clear 400 / error names the field and nothing is saved', async () => {
		const count = await postCount();
		const cases: [unknown, string][] = [
			[{ time: '25:00', message: 'x' }, 'time'],
			[{ time: '9am', message: 'x' }, 'time'],
			[{ time: '09:00', message: 'x', timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
			[{ time: '09:00', prompts: [] }, 'prompts'],
			[{ time: '09:00', message: 'x'.repeat(2001) }, 'message'],
			[{ time: '09:00', message: 'x', channelId: seed.channels.lounge }, 'channelId']
		];
		for (const [body, field] of cases) {
			const answer = await call('POST', '/posts', body);
			expect([field, answer.status, answer.body.error]).toEqual([field, 400, 'invalid_body']);
			expect(Object.keys(answer.body.fields), field).toContain(field);
		}
		const badTime = await run('dailies post add', { time: '25:00', message: 'x' });
		expect(badTime.body.content).toMatch(/`time` must be a time of day as HH:MM/);
		const badZone = await run('dailies post add', { time: '09:00', message: 'x', timezone: 'Nowhere/Land' });
		expect(badZone.body.content).toMatch(/`timezone` must be an IANA time zone/);
		const emptyPrompts = await run('dailies post add', { time: '09:00', prompts: ' | ' });
		expect(emptyPrompts.body.content).toMatch(/`prompts #1` is required/);
		expect(await postCount()).toBe(count);
	});

	it('GIVEN skip-next, list, remove and the host limit through the routes THEN each answers as documented', async () => {
		const list = await call('GET', '/posts');
		expect(list.status).toBe(200);
		expect(list.body.limit).toBe(4);
		const first = list.body.posts[0];
		expect(first.nextRun.local).toBe('Wed 2026-11-04 09:00 (America/New_York)');
		const skipped = await call('POST', `/posts/${first.id}/skip-next`);
		expect(skipped.status).toBe(200);
		expect(skipped.body.skipped.localDate).toBe('2026-11-04');
		expect(skipped.body.nextRun.local).toBe('Thu 2026-11-05 09:00 (America/New_York)');
		const detail = await call('GET', `/posts/${first.id}`);
		expect(detail.body.runs[0]).toMatchObject({ localDate: '2026-11-04', status: 'skipped', reason: expect.stringMatching(/skip-next/) });
		// Limit 4 (DAILIES_MAX_POSTS): two exist; two more fit, the fifth is refused.
		for (const time of ['11:00', '12:00']) expect((await call('POST', '/posts', { time, message: time })).status).toBe(201);
		const refused = await call('POST', '/posts', { time: '13:00', message: 'too many' });
		expect(refused.status).toBe(409);
		expect(refused.body).toMatchObject({ error: 'dailies_post_limit', limit: 4 });
		expect(refused.body.message).toMatch(/4 daily posts.*DAILIES_MAX_POSTS/);
		const byCommand = await run('dailies post add', { time: '13:00', message: 'too many' });
		expect(byCommand.body.content).toMatch(/4 daily posts, the most this bot's host allows/);
		expect(await postCount()).toBe(4);
		const removed = await call('DELETE', `/posts/${first.id}`);
		expect(removed.status).toBe(200);
		expect((await call('GET', `/posts/${first.id}`)).status).toBe(404);
		expect((await call('DELETE', '/posts/abc')).status).toBe(404);
		expect(await postCount()).toBe(3);
	});
	it("GIVEN the dashboard's edit and draft preview THEN PUT replaces a post, the preview saves nothing, bad bodies change nothing, and only managers may call them", async () => {
		const [post] = (await call('GET', '/posts')).body.posts;
		const count = await postCount();
		// A draft: the sender's renderer and the first run after now in the draft's own zone; nothing saved.
		const draft = await call('POST', '/posts/preview', {
			time: '07:15',
			message: 'Stand-up <@&1> @everyone',
			timeZone: 'Asia/Tokyo',
			weekdays: ['mon']
		});
		expect(draft.status).toBe(200);
		expect(draft.body).toEqual({
			message: { content: 'Stand-up <@&1> @everyone', allowed_mentions: { parse: ['users', 'roles'] } },
			channelId: seed.channels.daily,
			nextRun: {
				at: '2026-11-08T22:15:00.000Z',
				localDate: '2026-11-09',
				local: 'Mon 2026-11-09 07:15 (Asia/Tokyo)',
				timeZone: 'Asia/Tokyo'
			}
		});
		expect(await postCount()).toBe(count);
		const badDraft = await call('POST', '/posts/preview', { time: '7:75', message: 'x' });
		expect([badDraft.status, badDraft.body.error, Object.keys(badDraft.body.fields)]).toEqual([400, 'invalid_body', ['time']]);

		const edited = await call('PUT', `/posts/${post.id}`, {
			time: '18:30',
			message: 'Evening wrap-up',
			weekdays: 'weekdays',
			timeZone: 'Europe/Berlin'
		});
		expect(edited.status).toBe(200);
		expect(edited.body.post).toMatchObject({
			id: post.id,
			time: '18:30',
			message: 'Evening wrap-up',
			prompts: null,
			timeZone: 'Europe/Berlin',
			enabled: post.enabled
		});
		expect(edited.body.post.weekdays).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
		expect(edited.body.post.nextRun.local).toBe('Tue 2026-11-03 18:30 (Europe/Berlin)');
		expect((await call('GET', `/posts/${post.id}/preview`)).body.message.content).toBe('Evening wrap-up');
		// Refused: the field is named and the post is as it was.
		for (const [body, field] of [
			[{ time: '18:30', message: 'x', channelId: seed.channels.lounge }, 'channelId'],
			[{ time: '18:30', message: 'x', prompts: ['y'] }, 'message'],
			[{ time: '18:30', message: 'x', timeZone: 'Nowhere/Land' }, 'timeZone']
		] as const) {
			const refused = await call('PUT', `/posts/${post.id}`, body);
			expect([field, refused.status, refused.body.error, Object.keys(refused.body.fields)]).toEqual([field, 400, 'invalid_body', [field]]);
		}
		expect((await call('GET', `/posts/${post.id}`)).body.post).toMatchObject({ time: '18:30', message: 'Evening wrap-up' });
		expect((await call('PUT', '/posts/999999', { time: '18:30', message: 'x' })).status).toBe(404);

		const linus = (await login(bot, 'linus')).browser;
		for (const [method, path] of [
			['PUT', `/posts/${post.id}`],
			['POST', '/posts/preview']
		] as const) {
			const answer = await linus.fetch(`${api}${path}`, {
				method,
				headers: { origin: DASHBOARD_ORIGIN, 'content-type': 'application/json' },
				body: JSON.stringify({ time: '06:00', message: 'mine now' })
			});
			expect([method, path, answer.status]).toEqual([method, path, 403]);
		}
		expect((await call('GET', `/posts/${post.id}`)).body.post.message).toBe('Evening wrap-up');
	});
});
