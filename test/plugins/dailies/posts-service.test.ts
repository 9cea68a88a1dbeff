import { MikroORM } from '@mikro-orm/postgresql';
import { REST } from 'discord.js';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import { migrate } from '../../../src/core/database/migrations.ts';
import { dailiesPlugin } from '../../../src/plugins/dailies/index.ts';
import { parsePostInput } from '../../../src/plugins/dailies/lib/posts/input.ts';
import { type PostSender, restSender } from '../../../src/plugins/dailies/lib/posts/sender.ts';
import { DailyPostService, type PostFacts } from '../../../src/plugins/dailies/lib/posts/service.ts';
import type { Emulator } from '../../../src/sandbox/index.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../../helpers/postgres.ts';
import { startEmulator } from '../../sandbox/helpers.ts';

// The daily-post service against real PostgreSQL and the emulator's REST, with time on a fake clock. Two services
// with their own ORM (their own connection pools) stand for two worker processes.

const GUILD_TZ = 'Europe/Berlin';
const logger = pino({ level: 'silent' });
const CREATE_ROUTE = 'POST /channels/{channel_id}/messages';

let db: ScratchDatabase;
let emulator: Emulator;
let rest: REST;
const orms: MikroORM[] = [];
let facts: PostFacts;
let now = new Date('2026-12-01T00:00:00Z');
let guildId: string;
let daily: string;

async function newOrm() {
	const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: [dailiesPlugin], poolMax: 4 }));
	orms.push(orm);
	return orm;
}

async function worker(options: { sender?: PostSender; maxPostsPerGuild?: number } = {}) {
	return new DailyPostService(
		{ orm: await newOrm(), sender: options.sender ?? restSender(rest), facts: () => facts, logger, clock: () => now },
		options.maxPostsPerGuild ? { maxPostsPerGuild: options.maxPostsPerGuild } : {}
	);
}

const spec = (raw: Record<string, unknown>) => {
	const parsed = parsePostInput(raw);
	if (!parsed.ok) throw new Error(JSON.stringify(parsed.fields));
	return parsed.spec;
};

const messages = (channelId = daily) => emulator.channelMessages(channelId);
const creates = () => emulator.stats.restByRoute[CREATE_ROUTE] ?? 0;
const runs = (postId: number) =>
	query<{ local_date: string; status: string; message_id: string | null; reason: string | null; attempts: number }>(
		db.url,
		'select local_date, status, message_id, reason, attempts from dailies_post_run where post_id = $1 order by local_date',
		[postId]
	);

beforeAll(async () => {
	db = await createScratchDatabase('facet_dailies');
	const orm = await newOrm();
	await migrate(orm);
	emulator = await startEmulator();
	rest = new REST({ api: emulator.restUrl }).setToken(emulator.botToken);
	guildId = emulator.seed.guildId;
	daily = emulator.seed.channels.daily;
});

beforeEach(async () => {
	facts = { timeZone: GUILD_TZ, dailyChannelId: daily };
	await query(db.url, 'delete from dailies_post');
	await fetch(`${emulator.baseUrl}/_emulator/reset`, { method: 'POST' });
});

afterAll(async () => {
	for (const orm of orms) await orm.close();
	await emulator?.stop();
	await db?.drop();
});

describe('daily posts, exactly once', () => {
	it('GIVEN two workers with their own database connections racing every day for 10 days THEN each day is sent once (one REST create) and posted once', async () => {
		const [a, b] = [await worker(), await worker()];
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'Good morning' }), null);
		const before = creates();
		for (let day = 1; day <= 10; day++) {
			// 09:00:05 Berlin (08:00:05Z in winter): both find the run due at the same moment.
			now = new Date(`2026-12-${String(day).padStart(2, '0')}T08:00:05Z`);
			await Promise.all([a.tick([guildId]), b.tick([guildId]), a.tick([guildId]), b.tick([guildId])]);
		}
		expect(creates() - before).toBe(10);
		expect(messages().map((m) => m.content)).toEqual(Array(10).fill('Good morning'));
		const rows = await runs(post.id);
		expect(rows.map((r) => r.status)).toEqual(Array(10).fill('posted'));
		expect(new Set(rows.map((r) => r.message_id)).size).toBe(10);
	});

	it('GIVEN a send whose answer was lost THEN the retry (same nonce, after the lease) gets the first message back and posts nothing new', async () => {
		let lose = true;
		const real = restSender(rest);
		const flaky: PostSender = {
			async send(channelId, payload, nonce) {
				const sent = await real.send(channelId, payload, nonce);
				if (lose) {
					lose = false;
					throw new Error('socket hang up (the message went out, the answer did not come back)');
				}
				return sent;
			}
		};
		const [a, b] = [await worker({ sender: flaky }), await worker({ sender: flaky })];
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'Only once' }), null);
		now = new Date('2026-12-01T08:00:01Z');
		expect(await a.tick([guildId])).toMatchObject({ posted: 0, retrying: 1 });
		expect(messages()).toHaveLength(1);
		const first = messages()[0]!.id;
		// Still within the lease: nobody retries yet.
		now = new Date('2026-12-01T08:00:30Z');
		await b.tick([guildId]);
		expect((await runs(post.id))[0]).toMatchObject({ status: 'sending', attempts: 1 });
		// Lease over: the other worker takes it over and resends with the same nonce.
		now = new Date('2026-12-01T08:01:10Z');
		expect(await b.tick([guildId])).toMatchObject({ posted: 1 });
		expect(messages()).toHaveLength(1);
		expect((await runs(post.id))[0]).toMatchObject({ status: 'posted', message_id: first, attempts: 2 });
	});

	it('GIVEN a restart (a new service on a new connection) later the same day THEN nothing is posted again', async () => {
		const a = await worker();
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'Restart-proof' }), null);
		now = new Date('2026-12-01T08:00:02Z');
		await a.tick([guildId]);
		const restarted = await worker();
		for (const time of ['08:00:30', '08:30:00', '09:59:00', '22:00:00']) {
			now = new Date(`2026-12-01T${time}Z`);
			await restarted.tick([guildId]);
		}
		expect(messages()).toHaveLength(1);
		expect((await runs(post.id)).map((r) => r.status)).toEqual(['posted']);
	});
});

describe('daily posts after downtime', () => {
	it('GIVEN the bot back 90 min after the time THEN the post goes out, recorded late; 150 min after THEN it is skipped with the reason', async () => {
		const a = await worker();
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'Maybe late' }), null);
		// Down from before 09:00; back at 10:30 Berlin, inside the 2 h grace window.
		now = new Date('2026-12-01T09:30:00Z');
		expect(await a.tick([guildId])).toMatchObject({ late: 1 });
		// Next day: back at 11:30 Berlin, past the window.
		now = new Date('2026-12-02T10:30:00Z');
		expect(await a.tick([guildId])).toMatchObject({ skipped: 1, posted: 0, late: 0 });
		expect(messages()).toHaveLength(1);
		const rows = await runs(post.id);
		expect(rows.map((r) => [r.local_date, r.status])).toEqual([
			['2026-12-01', 'late'],
			['2026-12-02', 'skipped']
		]);
		expect(rows[1]!.reason).toMatch(/missed by 2 h 30 min .*past the 2 h grace window/);
	});

	it('GIVEN three days of downtime ending inside the grace window THEN the missed days are recorded as skipped and only today posts (no flood)', async () => {
		const a = await worker();
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'No flood' }), null);
		now = new Date('2026-12-04T08:20:00Z');
		expect(await a.tick([guildId])).toMatchObject({ skipped: 3, late: 1 });
		expect(messages()).toHaveLength(1);
		expect((await runs(post.id)).map((r) => [r.local_date, r.status])).toEqual([
			['2026-12-01', 'skipped'],
			['2026-12-02', 'skipped'],
			['2026-12-03', 'skipped'],
			['2026-12-04', 'late']
		]);
	});

	it('GIVEN a post whose missed-run policy is skip THEN it is never posted late', async () => {
		const a = await worker();
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'On time or never', missedPolicy: 'skip' }), null);
		now = new Date('2026-12-01T08:30:00Z');
		await a.tick([guildId]);
		expect(messages()).toHaveLength(0);
		expect((await runs(post.id))[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/never posts late/) });
	});
});

describe('rotating prompts, skip-next, channels and limits', () => {
	it('GIVEN 3 rotating prompts over 9 days THEN each block of 3 posts all 3 before any repeats, and each post equals its preview', async () => {
		const a = await worker();
		now = new Date('2026-12-01T07:00:00Z');
		const prompts = ['What made you smile?', 'Best song this week?', 'One thing you learned?'];
		const post = await a.add(guildId, spec({ time: '09:00', prompts }), null);
		const previews: string[] = [];
		for (let day = 1; day <= 9; day++) {
			previews.push(String((await a.preview(guildId, post.id)).payload.content));
			now = new Date(`2026-12-${String(day).padStart(2, '0')}T08:00:03Z`);
			await a.tick([guildId]);
			now = new Date(`2026-12-${String(day).padStart(2, '0')}T12:00:00Z`);
		}
		const posted = messages().map((m) => m.content);
		expect(posted).toHaveLength(9);
		expect(posted).toEqual(previews);
		for (let block = 0; block < 3; block++) expect(new Set(posted.slice(block * 3, block * 3 + 3))).toEqual(new Set(prompts));
	});

	it('GIVEN skip-next THEN the next run is recorded as skipped by its author and the one after posts', async () => {
		const a = await worker();
		now = new Date('2026-12-01T10:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'Skippable' }), null);
		const skipped = await a.skipNext(guildId, post.id, '100000000000000042');
		expect(skipped.localDate).toBe('2026-12-02');
		expect((await a.nextRun(post))?.localDate).toBe('2026-12-03');
		now = new Date('2026-12-02T08:00:05Z');
		await a.tick([guildId]);
		now = new Date('2026-12-03T08:00:05Z');
		await a.tick([guildId]);
		expect(messages()).toHaveLength(1);
		expect((await runs(post.id)).map((r) => [r.local_date, r.status, r.reason])).toEqual([
			['2026-12-02', 'skipped', 'skipped by <@100000000000000042> (skip-next)'],
			['2026-12-03', 'posted', null]
		]);
	});

	it('GIVEN no channel and no daily channel THEN adding says so; the daily channel is the default; a deleted channel is skipped with the reason', async () => {
		const a = await worker();
		facts = { timeZone: GUILD_TZ, dailyChannelId: null };
		await expect(a.add(guildId, spec({ time: '09:00', message: 'x' }), null)).rejects.toMatchObject({
			identifier: 'invalid_body',
			message: expect.stringMatching(/no daily channel/)
		});
		facts = { timeZone: 'America/New_York', dailyChannelId: daily };
		now = new Date('2026-12-02T12:00:00Z');
		const follows = await a.add(guildId, spec({ time: '09:00', message: 'to the daily channel' }), null);
		const gone = await a.add(guildId, spec({ time: '09:00', message: 'to nowhere', channelId: '100000000000000999' }), null);
		// 09:00 in New York (the guild's zone now) is 14:00Z.
		now = new Date('2026-12-02T14:00:10Z');
		await a.tick([guildId]);
		expect(messages().map((m) => m.content)).toEqual(['to the daily channel']);
		expect((await runs(follows.id))[0]).toMatchObject({ status: 'posted' });
		expect((await runs(gone.id))[0]).toMatchObject({ status: 'skipped', reason: 'not posted: the channel no longer exists' });
	});

	it('GIVEN a post switched off for two days and on again THEN nothing is posted while off, and the days it was off are not its runs', async () => {
		const a = await worker();
		now = new Date('2026-12-01T07:00:00Z');
		const post = await a.add(guildId, spec({ time: '09:00', message: 'Switchable' }), null);
		await a.setEnabled(guildId, post.id, false);
		for (const day of ['01', '02']) {
			now = new Date(`2026-12-${day}T08:00:05Z`);
			await a.tick([guildId]);
		}
		expect(messages()).toHaveLength(0);
		now = new Date('2026-12-03T07:00:00Z');
		await a.setEnabled(guildId, post.id, true);
		now = new Date('2026-12-03T08:00:05Z');
		await a.tick([guildId]);
		expect((await runs(post.id)).map((r) => [r.local_date, r.status])).toEqual([['2026-12-03', 'posted']]);
	});

	it('GIVEN the host limit THEN the next add is refused with a message that names the limit and nothing is saved', async () => {
		const a = await worker({ maxPostsPerGuild: 3 });
		now = new Date('2026-12-01T12:00:00Z');
		await Promise.allSettled(Array.from({ length: 6 }, (_, i) => a.add(guildId, spec({ time: `0${i}:00`, message: `#${i}` }), null)));
		expect(await a.list(guildId)).toHaveLength(3);
		await expect(a.add(guildId, spec({ time: '09:00', message: 'one too many' }), null)).rejects.toMatchObject({
			identifier: 'dailies_post_limit',
			message: expect.stringMatching(/3 daily posts.*DAILIES_MAX_POSTS/)
		});
		expect(await a.list(guildId)).toHaveLength(3);
	});
});
