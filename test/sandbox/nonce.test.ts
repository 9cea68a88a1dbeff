import { ChannelType, type Client, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator, waitFor } from './helpers.ts';

// `nonce` + `enforce_nonce` on create message, as Discord does them: the same nonce from the same author in the
// same channel within a few minutes returns the first message instead of creating another; the nonce is a string of
// at most 25 characters or an integer.

let emulator: Emulator;
let client: Client<true>;
let auth: Record<string, string>;

const post = (channelId: string, body: unknown) => call(emulator, 'POST', `/api/v10/channels/${channelId}/messages`, body, auth);

beforeAll(async () => {
	// Raw requests at one channel, faster than its 5-per-5-s message bucket: these tests are about nonces, not buckets.
	emulator = await startEmulator({ routeLimits: {} });
	auth = { Authorization: `Bot ${emulator.botToken}` };
	client = await connectClient(emulator);
});

afterAll(async () => {
	await client?.destroy();
	await emulator?.stop();
});

describe('create message with a nonce', () => {
	it('GIVEN the same nonce sent twice with enforce_nonce THEN one message exists and both answers carry its id', async () => {
		const channelId = emulator.seed.channels.daily;
		const before = emulator.channelMessages(channelId).length;
		const first = await post(channelId, { content: 'good morning', nonce: 'retry-me-1', enforce_nonce: true });
		const second = await post(channelId, { content: 'good morning', nonce: 'retry-me-1', enforce_nonce: true });
		expect(first.status).toBe(200);
		expect(second.status).toBe(200);
		expect((second.body as { id: string }).id).toBe((first.body as { id: string }).id);
		expect((second.body as { nonce: string }).nonce).toBe('retry-me-1');
		expect(emulator.channelMessages(channelId).length).toBe(before + 1);
	});

	it('GIVEN a stock discord.js client sending with enforceNonce twice THEN it gets one message back and sees one MESSAGE_CREATE', async () => {
		const channel = (await client.channels.fetch(emulator.seed.channels.welcome)) as TextChannel;
		expect(channel.type).toBe(ChannelType.GuildText);
		const created: string[] = [];
		const onCreate = (message: { id: string; channelId: string }) => {
			if (message.channelId === channel.id) created.push(message.id);
		};
		client.on('messageCreate', onCreate);
		const a = await channel.send({ content: 'once', nonce: '1234567890123456789', enforceNonce: true });
		const b = await channel.send({ content: 'once', nonce: '1234567890123456789', enforceNonce: true });
		expect(b.id).toBe(a.id);
		// A later, different message is dispatched after it, so waiting for that one proves no second create was sent.
		const marker = await channel.send({ content: 'marker' });
		await waitFor(() => created.includes(marker.id), 5_000, 'the marker message');
		client.off('messageCreate', onCreate);
		expect(created).toEqual([a.id, marker.id]);
	});

	it('GIVEN the same nonce without enforce_nonce, or in another channel THEN a new message is created each time', async () => {
		const daily = emulator.seed.channels.daily;
		const general = emulator.seed.channels.general;
		const first = await post(daily, { content: 'x', nonce: 'same' });
		const second = await post(daily, { content: 'x', nonce: 'same' });
		const elsewhere = await post(general, { content: 'x', nonce: 'same', enforce_nonce: true });
		const ids = [first, second, elsewhere].map((answer) => (answer.body as { id: string }).id);
		expect(new Set(ids).size).toBe(3);
	});

	it('GIVEN an integer nonce with enforce_nonce THEN it is honoured like a string one', async () => {
		const channelId = emulator.seed.channels.feeds;
		const first = await post(channelId, { content: 'int', nonce: 987654321, enforce_nonce: true });
		const second = await post(channelId, { content: 'int', nonce: 987654321, enforce_nonce: true });
		expect((second.body as { id: string }).id).toBe((first.body as { id: string }).id);
	});

	it('GIVEN a nonce over 25 characters, of the wrong type, or a non-boolean enforce_nonce THEN 400 50035 names the field and nothing is posted', async () => {
		const channelId = emulator.seed.channels.general;
		const before = emulator.channelMessages(channelId).length;
		const long = await post(channelId, { content: 'x', nonce: 'a'.repeat(26), enforce_nonce: true });
		expect(long.status).toBe(400);
		expect(long.body).toMatchObject({ code: 50035, errors: { nonce: { _errors: [{ code: 'NONCE_TYPE_TOO_LONG' }] } } });
		for (const nonce of [true, 1.5, { a: 1 }, ['x']]) {
			const bad = await post(channelId, { content: 'x', nonce });
			expect(bad.status, JSON.stringify(nonce)).toBe(400);
			expect(bad.body).toMatchObject({ code: 50035, errors: { nonce: { _errors: [{ code: 'NONCE_TYPE_INVALID_TYPE' }] } } });
		}
		const flag = await post(channelId, { content: 'x', nonce: 'ok', enforce_nonce: 'yes' });
		expect(flag.status).toBe(400);
		expect(flag.body).toMatchObject({ code: 50035, errors: { enforce_nonce: { _errors: [{ code: 'BOOLEAN_TYPE_CONVERT' }] } } });
		const exactly25 = await post(channelId, { content: 'x', nonce: 'b'.repeat(25), enforce_nonce: true });
		expect(exactly25.status).toBe(200);
		expect(emulator.channelMessages(channelId).length).toBe(before + 1);
	});
});
