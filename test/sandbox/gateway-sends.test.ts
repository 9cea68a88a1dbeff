import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { RawGateway, startEmulator, waitFor } from './helpers.ts';

describe('gateway send limit: 120 payloads per 60 s per connection', () => {
	let emulator: Emulator;
	// The emulator's clock, moved by hand: the 60-second window passes without waiting a minute.
	let now = 1_700_000_000_000;

	beforeAll(async () => {
		emulator = await startEmulator({ clock: () => now });
	});
	afterAll(async () => {
		await emulator?.stop();
	});

	/** Sends `count` heartbeats and waits until each was acknowledged (so the server counted them all). */
	async function beat(gateway: RawGateway, count: number): Promise<void> {
		const acks = () => gateway.received.filter((p) => p.op === GatewayOpcodes.HeartbeatAck).length;
		const before = acks();
		for (let i = 0; i < count; i++) gateway.send({ op: GatewayOpcodes.Heartbeat, d: gateway.seq || null });
		await gateway.next(() => acks() >= before + count, 10_000);
	}

	it('GIVEN 120 payloads in a window THEN the connection stays open, the next window starts afresh, and the 121st payload of a window closes it with 4008', async () => {
		const gateway = await RawGateway.open(emulator, '?v=10&encoding=json', false);
		try {
			await gateway.identify(emulator.botToken, GatewayIntentBits.Guilds); // payload 1
			await beat(gateway, 119); // payloads 2–120
			expect(gateway.closeCode).toBeNull();

			now += 60_000; // a new window
			await beat(gateway, 120);
			expect(gateway.closeCode).toBeNull();
			expect(emulator.snapshot().gateway.limits.send_rate_limit_closes).toBe(0);

			gateway.send({ op: GatewayOpcodes.Heartbeat, d: gateway.seq });
			expect(await gateway.closed()).toBe(GatewayCloseCodes.RateLimited);
			expect(emulator.snapshot().gateway.limits.send_rate_limit_closes).toBe(1);
			// 4008 is resumable on Discord: the session waits for a RESUME.
			await waitFor(() => emulator.snapshot().gateway.sessions.every((s) => !s.connected), 5_000, 'the session to be left resumable');
			expect(emulator.snapshot().gateway.sessions).toHaveLength(1);
		} finally {
			gateway.close();
		}
	});
});
