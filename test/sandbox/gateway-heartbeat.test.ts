import type { Client } from 'discord.js';
import { Events } from 'discord.js';
import { GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, RawGateway, startEmulator, waitFor } from './helpers.ts';

describe('heartbeats: a zombie connection (no heartbeat ACK) is detected by the client', () => {
	let emulator: Emulator;

	beforeAll(async () => {
		// Short beats so a zombie shows within a second or two.
		emulator = await startEmulator({ heartbeatIntervalMs: 400 });
	});
	afterAll(async () => {
		await emulator?.stop();
	});

	it('GIVEN the zombie fault THEN the emulator stops acknowledging heartbeats and sends nothing more on that socket', async () => {
		const gateway = await RawGateway.open(emulator, '?v=10&encoding=json', false);
		try {
			await gateway.identify(
				emulator.botToken,
				GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent
			);
			gateway.send({ op: GatewayOpcodes.Heartbeat, d: gateway.seq });
			await gateway.next((p) => p.op === GatewayOpcodes.HeartbeatAck);
			const fault = await call(emulator, 'POST', '/_emulator/faults', { kind: 'gateway_zombie' });
			expect(fault.body).toEqual({ ok: true, affected: 1 });
			const from = gateway.received.length;
			gateway.send({ op: GatewayOpcodes.Heartbeat, d: gateway.seq });
			const { seed } = emulator;
			emulator.sendMessage({
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.ada,
				content: 'into the void'
			});
			// A control: a fresh socket on the same emulator is answered at once, so the silence is the fault's.
			const fresh = await RawGateway.open(emulator, '?v=10&encoding=json', false);
			fresh.send({ op: GatewayOpcodes.Heartbeat, d: null });
			await fresh.next((p) => p.op === GatewayOpcodes.HeartbeatAck);
			fresh.close();
			expect(gateway.received.slice(from)).toEqual([]);
			// The missed event waits in the session for a RESUME.
			expect(emulator.snapshot().gateway.sessions[0]?.seq).toBeGreaterThan(gateway.seq);
		} finally {
			gateway.close();
		}
	});

	it('GIVEN a stock discord.js client on a zombie connection THEN it notices the missing ACK, reconnects and resumes with the events it missed', async () => {
		const client: Client<true> = await connectClient(emulator);
		try {
			const debug: string[] = [];
			client.on(Events.Debug, (line) => debug.push(line));
			const received: string[] = [];
			client.on(Events.MessageCreate, (message) => {
				received.push(message.id);
			});
			const identifies = emulator.stats.identifies;
			const resumes = emulator.stats.resumes;
			const fault = await call(emulator, 'POST', '/_emulator/faults', { kind: 'gateway_zombie' });
			expect((fault.body as { affected: number }).affected).toBeGreaterThanOrEqual(1);
			const { seed } = emulator;
			const missed = [1, 2, 3].map(
				(i) =>
					emulator.sendMessage({
						guild_id: seed.guildId,
						channel_id: seed.channels.general,
						user_id: seed.users.ada,
						content: `zombie ${i}`
					}).id as string
			);
			await waitFor(() => emulator.stats.resumes > resumes, 15_000, 'the client to resume');
			await waitFor(() => missed.every((id) => received.includes(id)), 10_000, 'the missed messages');
			expect(debug.some((line) => line.includes('Zombie connection'))).toBe(true);
			expect(emulator.stats.identifies).toBe(identifies);
			for (const id of missed) expect(received.filter((r) => r === id)).toHaveLength(1);
			// The new connection is a healthy one: live events flow again.
			const after = emulator.sendMessage({
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.ada,
				content: 'alive'
			});
			await waitFor(() => received.includes(after.id as string), 5_000, 'a live message after the resume');
		} finally {
			await client.destroy();
		}
	}, 30_000);
});
