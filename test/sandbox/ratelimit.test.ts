import type { Client } from 'discord.js';
import { RESTEvents } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator } from './helpers.ts';

describe('REST rate limits and faults', () => {
	let emulator: Emulator;
	let client: Client<true>;

	beforeAll(async () => {
		emulator = await startEmulator({ rateLimitPerSecond: 5 });
		client = await connectClient(emulator);
	});

	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	it('GIVEN one injected 429 on the messages route THEN channel.send() waits, retries and creates the message exactly once', async () => {
		const { seed } = emulator;
		const limited: Array<{ retryAfter: number; route: string }> = [];
		client.rest.on(RESTEvents.RateLimited, (info) => limited.push({ retryAfter: info.retryAfter, route: info.route }));
		const fault = await call(emulator, 'POST', '/_emulator/faults', { kind: 'rest_429', count: 1, route: '/messages', retry_after: 0.2 });
		expect(fault.status).toBe(200);
		const rateLimitedBefore = emulator.stats.rateLimited;
		const calls = () => emulator.stats.restByRoute['POST /channels/{channel_id}/messages'] ?? 0;
		const callsBefore = calls();
		const channel = client.channels.cache.get(seed.channels.general);
		if (!channel?.isSendable()) throw new Error('general is not sendable');
		const started = Date.now();
		const message = await channel.send('through the 429');
		expect(Date.now() - started).toBeGreaterThanOrEqual(190);
		expect(emulator.stats.rateLimited).toBe(rateLimitedBefore + 1);
		expect(calls()).toBe(callsBefore + 2);
		expect(limited).toHaveLength(1);
		expect(limited[0]?.retryAfter).toBeGreaterThanOrEqual(200);
		const history = await call(emulator, 'GET', `/_emulator/channels/${seed.channels.general}/messages`);
		const copies = (history.body as Array<{ id: string; content: string }>).filter((m) => m.content === 'through the 429');
		expect(copies).toHaveLength(1);
		expect(copies[0]?.id).toBe(message.id);
		expect(emulator.snapshot().faults.pending).toBe(0);
	});

	it('GIVEN an injected 429 THEN the raw answer has Discord’s body and headers', async () => {
		await call(emulator, 'POST', '/_emulator/faults', { kind: 'rest_429', route: '/users/', retry_after: 1.5 });
		const res = await call(emulator, 'GET', `/api/v10/users/${emulator.seed.users.ada}`, undefined, {
			Authorization: `Bot ${emulator.botToken}`
		});
		expect(res.status).toBe(429);
		expect(res.body).toEqual({ message: 'You are being rate limited.', retry_after: 1.5, global: false, code: 0 });
		// Discord's header is whole seconds, rounded up; the body keeps the exact float.
		expect(res.headers.get('retry-after')).toBe('2');
		expect(res.headers.get('x-ratelimit-scope')).toBe('user');
		expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
		expect(res.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{16}$/);
	});

	it('GIVEN injected 500s THEN discord.js retries and succeeds', async () => {
		const before = emulator.stats.serverErrors;
		await call(emulator, 'POST', '/_emulator/faults', { kind: 'rest_500', count: 2, route: '/guilds/' });
		const guild = await client.guilds.fetch({ guild: emulator.seed.guildId, force: true });
		expect(guild.name).toBe('Facet Sandbox');
		expect(emulator.stats.serverErrors).toBe(before + 2);
	});

	it('GIVEN requests on one bucket THEN X-RateLimit-Remaining counts down and a real 429 follows past the limit', async () => {
		const path = `/api/v10/channels/${emulator.seed.channels.welcome}`;
		const auth = { Authorization: `Bot ${emulator.botToken}` };
		const remaining: string[] = [];
		const statuses: number[] = [];
		for (let i = 0; i < 6; i++) {
			const res = await call(emulator, 'GET', path, undefined, auth);
			statuses.push(res.status);
			remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
			expect(res.headers.get('x-ratelimit-limit')).toBe('5');
		}
		expect(remaining).toEqual(['4', '3', '2', '1', '0', '0']);
		expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
		// Another channel is another bucket (the channel id is the major parameter).
		const other = await call(emulator, 'GET', `/api/v10/channels/${emulator.seed.channels.daily}`, undefined, auth);
		expect(other.status).toBe(200);
		expect(other.headers.get('x-ratelimit-remaining')).toBe('4');
	});
});
