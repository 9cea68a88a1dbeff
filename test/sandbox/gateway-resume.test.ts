import type { Client } from 'discord.js';
import { Events } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator, waitFor } from './helpers.ts';

describe('RESUME after a 1006 close replays the missed events', () => {
	let emulator: Emulator;
	let client: Client<true>;
	const received: Array<{ id: string; content: string }> = [];
	const debug: string[] = [];

	beforeAll(async () => {
		emulator = await startEmulator();
		client = await connectClient(emulator);
		client.on(Events.MessageCreate, (message) => {
			received.push({ id: message.id, content: message.content });
		});
		client.on(Events.Debug, (line) => debug.push(line));
	});
	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	it('GIVEN the TCP connection cut (1006) and 15 messages before the client is back THEN it resumes (no new IDENTIFY) and gets each missed message once, in order', async () => {
		const { seed } = emulator;
		const identifies = emulator.stats.identifies;
		const resumes = emulator.stats.resumes;
		const fault = await call(emulator, 'POST', '/_emulator/faults', { kind: 'gateway_disconnect', close_code: 1006 });
		expect(fault.body).toEqual({ ok: true, affected: 1 });
		const sent = Array.from({ length: 15 }, (_, i) =>
			emulator.sendMessage({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.ada, content: `gap ${i}` })
		).map((m) => m.id as string);
		await waitFor(() => emulator.stats.resumes > resumes, 15_000, 'the client to resume');
		await waitFor(() => sent.every((id) => received.some((r) => r.id === id)), 10_000, 'every missed message');
		// discord.js saw an abnormal closure, not a close frame.
		expect(debug.some((line) => /1006/.test(line))).toBe(true);
		expect(emulator.stats.identifies).toBe(identifies);
		expect(emulator.stats.resumes).toBe(resumes + 1);
		const order = received.filter((r) => sent.includes(r.id)).map((r) => r.id);
		expect(order).toEqual(sent);
	});

	it('GIVEN a close code no server can send (1005) THEN the fault is refused with 400', async () => {
		const bad = await call(emulator, 'POST', '/_emulator/faults', { kind: 'gateway_disconnect', close_code: 1005 });
		expect(bad.status).toBe(400);
		expect((bad.body as { error: string }).error).toMatch(/1000, 1006 or 3000–4999/);
	});
});
