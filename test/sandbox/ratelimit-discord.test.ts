import type { Client } from 'discord.js';
import { RESTEvents } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { RestLimits } from '../../src/sandbox/rest-limits.ts';
import { call, connectClient, startEmulator } from './helpers.ts';

/** REST as the bot, with its token. */
function bot(emulator: Emulator, method: string, path: string, body?: unknown) {
	return call(emulator, method, `/api/v10${path}`, body, { Authorization: `Bot ${emulator.botToken}` });
}

describe('REST limits as Discord applies them', () => {
	let emulator: Emulator | undefined;
	let client: Client | undefined;
	afterEach(async () => {
		await client?.destroy();
		client = undefined;
		await emulator?.stop();
		emulator = undefined;
	});

	it('GIVEN 50 requests in one second across routes THEN the 51st is a global 429 (global: true, X-RateLimit-Global, scope global, whole-second Retry-After); interaction routes are not bound; the next second is free', async () => {
		let now = 1_700_000_000_000;
		const e = await startEmulator({ clock: () => now });
		emulator = e;
		const { seed } = e;
		const paths = [
			`/channels/${seed.channels.general}`,
			`/channels/${seed.channels.welcome}`,
			`/users/${seed.users.ada}`,
			`/guilds/${seed.guildId}`
		];
		for (let i = 0; i < 50; i++) {
			const res = await bot(e, 'GET', paths[i % paths.length] ?? '');
			expect(res.status, res.text).toBe(200);
			expect(res.headers.has('x-ratelimit-global')).toBe(false);
		}
		now += 400;
		const limited = await bot(e, 'GET', `/channels/${seed.channels.daily}`);
		expect(limited.status).toBe(429);
		expect(limited.body).toEqual({ message: 'You are being rate limited.', retry_after: 0.6, global: true, code: 0 });
		expect(limited.headers.get('x-ratelimit-global')).toBe('true');
		expect(limited.headers.get('x-ratelimit-scope')).toBe('global');
		expect(limited.headers.get('retry-after')).toBe('1');
		// Interaction webhooks are outside the global limit: this one reaches its handler (an unknown token: 10015).
		const webhook = await call(e, 'POST', `/api/v10/webhooks/${e.applicationId}/no-such-token`, { content: 'x' });
		expect(webhook.status).toBe(404);
		expect(webhook.body).toMatchObject({ code: 10015 });
		expect(e.snapshot().rest.global_limited).toBe(1);
		now += 600;
		expect((await bot(e, 'GET', `/channels/${seed.channels.daily}`)).status).toBe(200);
	});

	it('GIVEN message creation in one channel THEN 5 per 5 s (per channel), the 6th is a 429 with whole-second Retry-After and the exact retry_after', async () => {
		let now = 1_700_000_000_000;
		const e = await startEmulator({ clock: () => now });
		emulator = e;
		const { seed } = e;
		for (let i = 0; i < 5; i++) {
			const res = await bot(e, 'POST', `/channels/${seed.channels.general}/messages`, { content: `m${i}` });
			expect(res.status, res.text).toBe(200);
			expect(res.headers.get('x-ratelimit-limit')).toBe('5');
			expect(res.headers.get('x-ratelimit-remaining')).toBe(String(4 - i));
		}
		now += 1_200;
		const sixth = await bot(e, 'POST', `/channels/${seed.channels.general}/messages`, { content: 'm5' });
		expect(sixth.status).toBe(429);
		expect(sixth.body).toEqual({ message: 'You are being rate limited.', retry_after: 3.8, global: false, code: 0 });
		expect(sixth.headers.get('retry-after')).toBe('4');
		expect(sixth.headers.get('x-ratelimit-scope')).toBe('user');
		expect(sixth.headers.has('x-ratelimit-global')).toBe(false);
		// Another channel has its own bucket.
		expect((await bot(e, 'POST', `/channels/${seed.channels.welcome}/messages`, { content: 'elsewhere' })).status).toBe(200);
		const history = await call(e, 'GET', `/_emulator/channels/${seed.channels.general}/messages`);
		expect((history.body as Array<{ content: string }>).map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
		now += 3_800;
		expect((await bot(e, 'POST', `/channels/${seed.channels.general}/messages`, { content: 'm5' })).status).toBe(200);
	});

	it('GIVEN member role changes in one guild THEN adds and removes share one bucket of 10 per 10 s', async () => {
		let now = 1_700_000_000_000;
		const e = await startEmulator({ clock: () => now });
		emulator = e;
		const { seed } = e;
		const role = (method: string, user: string) => bot(e, method, `/guilds/${seed.guildId}/members/${user}/roles/${seed.roles.member}`);
		const people = [seed.users.ada, seed.users.linus, seed.users.margaret, seed.users.grace, seed.users.alan];
		for (let i = 0; i < 10; i++) {
			const res = await role(i < 5 ? 'PUT' : 'DELETE', people[i % 5] ?? '');
			expect(res.status, res.text).toBe(204);
			expect(res.headers.get('x-ratelimit-limit')).toBe('10');
		}
		const put = await role('PUT', seed.users.ada);
		expect(put.status).toBe(429);
		expect(put.headers.get('retry-after')).toBe('10');
		const add = await bot(e, 'PUT', `/guilds/${seed.guildId}/members/${seed.users.ada}/roles/${seed.roles.member}`);
		expect(add.headers.get('x-ratelimit-bucket')).toBe(put.headers.get('x-ratelimit-bucket'));
		now += 10_000;
		expect((await role('PUT', seed.users.ada)).status).toBe(204);
	});

	it('GIVEN 401/403/429 answers THEN they count as invalid requests (shared-scope 429s do not); at the limit the token is banned for everything and the state shows it', async () => {
		let now = 1_700_000_000_000;
		const e = await startEmulator({ clock: () => now, invalidRequestLimit: 20, invalidRequestBanMs: 60_000 });
		emulator = e;
		const { seed } = e;
		for (let i = 0; i < 17; i++) {
			const res = await call(e, 'GET', `/api/v10/users/${seed.users.ada}`, undefined, { Authorization: 'Bot wrong-token' });
			expect(res.status).toBe(401);
		}
		await call(e, 'POST', '/_emulator/faults', { kind: 'rest_error', route: `/guilds/${seed.guildId}`, status: 403, code: 50001 });
		expect((await bot(e, 'GET', `/guilds/${seed.guildId}`)).status).toBe(403);
		await call(e, 'POST', '/_emulator/faults', { kind: 'rest_429', route: '/users/', scope: 'shared', retry_after: 0.5 });
		const shared = await bot(e, 'GET', `/users/${seed.users.ada}`);
		expect(shared.status).toBe(429);
		expect(shared.headers.get('x-ratelimit-scope')).toBe('shared');
		expect((await bot(e, 'GET', `/users/${seed.users.ada}`)).status).toBe(200);
		expect(e.snapshot().rest.invalid_requests).toMatchObject({ count: 18, total: 18, limit: 20, window_ms: 600_000 });
		expect(e.snapshot().rest.banned_until).toBeNull();

		await call(e, 'POST', '/_emulator/faults', { kind: 'rest_429', route: '/users/', retry_after: 0.5 });
		expect((await bot(e, 'GET', `/users/${seed.users.ada}`)).status).toBe(429); // 19
		expect(e.snapshot().rest.banned_until).toBeNull();
		expect((await call(e, 'GET', '/api/v10/users/@me')).status).toBe(401); // 20: banned
		expect(e.snapshot().rest.banned_until).toBe(now + 60_000);

		const refused = await bot(e, 'GET', `/channels/${seed.channels.general}`);
		expect(refused.status).toBe(429);
		expect(refused.text).toBe('error code: 1015');
		expect(refused.headers.get('retry-after')).toBe('60');
		expect(e.snapshot().rest).toMatchObject({ ban_refused: 1, invalid_requests: { count: 20 } });

		now += 60_000;
		expect((await bot(e, 'GET', `/channels/${seed.channels.general}`)).status).toBe(200);
		expect(e.snapshot().rest.banned_until).toBeNull();
	});

	it('GIVEN the real thresholds THEN 9,999 invalid requests in 10 minutes are tolerated, the 10,000th bans, and requests older than 10 minutes drop out', () => {
		const limits = new RestLimits();
		const start = 1_700_000_000_000;
		for (let i = 0; i < 9_999; i++) limits.noteResponse(i % 3 === 0 ? 401 : i % 3 === 1 ? 403 : 429, 'user', start + i * 50);
		expect(limits.info(start + 500_000).banned_until).toBeNull();
		limits.noteResponse(429, 'shared', start + 500_000);
		limits.noteResponse(404, undefined, start + 500_000);
		expect(limits.info(start + 500_000).invalid_requests.count).toBe(9_999);
		// 10 minutes after the first ones, they no longer count: the window is rolling.
		const later = start + 600_000 + 50 * 100;
		expect(limits.info(later).invalid_requests.count).toBe(9_999 - 101);
		for (let i = 0; i < 101; i++) limits.noteResponse(401, undefined, later);
		expect(limits.info(later).banned_until).toBeNull();
		limits.noteResponse(401, undefined, later);
		expect(limits.info(later).banned_until).toBe(later + 3_600_000);
	});

	it('GIVEN a global limit lower than discord.js assumes THEN its global 429s are waited out and every request succeeds', async () => {
		const e = await startEmulator({ globalRateLimitPerSecond: 5 });
		emulator = e;
		client = await connectClient(e);
		const c = client;
		const globals: boolean[] = [];
		c.rest.on(RESTEvents.RateLimited, (info) => globals.push(info.global));
		const { seed } = e;
		const users = [seed.users.ada, seed.users.grace, seed.users.linus, seed.users.margaret, seed.users.alan];
		const fetched = await Promise.all(Array.from({ length: 12 }, (_, i) => c.users.fetch(users[i % 5] ?? '', { force: true })));
		expect(fetched.map((u) => u.id)).toEqual(Array.from({ length: 12 }, (_, i) => users[i % 5]));
		expect(e.snapshot().rest.global_limited).toBeGreaterThan(0);
		expect(globals).toContain(true);
	}, 20_000);
});
