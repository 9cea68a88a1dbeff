import type { Client } from 'discord.js';
import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, RawGateway, startEmulator } from './helpers.ts';

/** `session_start_limit` as `GET /gateway/bot` answers it. */
async function sessionStartLimit(emulator: Emulator): Promise<{ status: number; limit: Record<string, number> }> {
	const res = await call(emulator, 'GET', '/api/v10/gateway/bot', undefined, { Authorization: `Bot ${emulator.botToken}` });
	return {
		status: res.status,
		limit: (res.body as { session_start_limit: Record<string, number> } | undefined)?.session_start_limit ?? {}
	};
}

describe('IDENTIFY: session start limit and max_concurrency buckets', () => {
	let emulator: Emulator | undefined;
	const sockets: RawGateway[] = [];
	let clients: Client[] = [];

	afterEach(async () => {
		for (const socket of sockets.splice(0)) socket.close();
		for (const client of clients) await client.destroy();
		clients = [];
		await emulator?.stop();
		emulator = undefined;
	});

	async function open(e: Emulator): Promise<RawGateway> {
		const socket = await RawGateway.open(e);
		sockets.push(socket);
		return socket;
	}

	it('GIVEN IDENTIFYs THEN remaining counts down and resets after reset_after; past the budget every session is terminated and the token stops working', async () => {
		let now = 1_700_000_000_000;
		emulator = await startEmulator({ clock: () => now, sessionStartTotal: 3, sessionStartResetMs: 60_000 });
		expect((await sessionStartLimit(emulator)).limit).toEqual({ total: 3, remaining: 3, reset_after: 60_000, max_concurrency: 1 });

		await (await open(emulator)).identify(emulator.botToken, GatewayIntentBits.Guilds);
		now += 5_000;
		expect((await sessionStartLimit(emulator)).limit).toMatchObject({ remaining: 2, reset_after: 55_000 });
		await (await open(emulator)).identify(emulator.botToken, GatewayIntentBits.Guilds);
		expect((await sessionStartLimit(emulator)).limit).toMatchObject({ remaining: 1, reset_after: 55_000 });

		now += 55_000; // the period is over: a full budget again
		expect((await sessionStartLimit(emulator)).limit).toEqual({ total: 3, remaining: 3, reset_after: 60_000, max_concurrency: 1 });

		const live: RawGateway[] = [];
		for (let i = 0; i < 3; i++) {
			const socket = await open(emulator);
			await socket.identify(emulator.botToken, GatewayIntentBits.Guilds);
			live.push(socket);
			now += 5_000;
		}
		expect((await sessionStartLimit(emulator)).limit.remaining).toBe(0);

		// One IDENTIFY too many: Discord terminates every session of the bot and resets its token.
		const extra = await open(emulator);
		extra.send({ op: GatewayOpcodes.Identify, d: { token: emulator.botToken, intents: GatewayIntentBits.Guilds, properties: {} } });
		expect(await extra.closed()).toBe(GatewayCloseCodes.AuthenticationFailed);
		for (const socket of live) expect(await socket.closed()).toBe(GatewayCloseCodes.AuthenticationFailed);
		const state = emulator.snapshot().gateway;
		expect(state.limits.token_reset).toBe(true);
		expect(state.sessions).toEqual([]);
		expect((await sessionStartLimit(emulator)).status).toBe(401);
		const again = await open(emulator);
		again.send({ op: GatewayOpcodes.Identify, d: { token: emulator.botToken, intents: GatewayIntentBits.Guilds, properties: {} } });
		expect(await again.closed()).toBe(GatewayCloseCodes.AuthenticationFailed);

		// The control API's reset is the new token: everything works again.
		emulator.reset();
		expect((await sessionStartLimit(emulator)).status).toBe(200);
		expect(emulator.snapshot().gateway.limits.token_reset).toBe(false);
	});

	it('GIVEN max_concurrency 2 THEN one IDENTIFY per bucket (shard_id % 2) per 5 s; another in the same bucket gets INVALID_SESSION', async () => {
		let now = 1_700_000_000_000;
		emulator = await startEmulator({ clock: () => now, shards: 4, maxConcurrency: 2 });
		expect((await sessionStartLimit(emulator)).limit.max_concurrency).toBe(2);

		await (await open(emulator)).identify(emulator.botToken, GatewayIntentBits.Guilds, [0, 4]);
		await (await open(emulator)).identify(emulator.botToken, GatewayIntentBits.Guilds, [1, 4]); // bucket 1: allowed
		const sameBucket = await open(emulator);
		sameBucket.send({
			op: GatewayOpcodes.Identify,
			d: { token: emulator.botToken, intents: GatewayIntentBits.Guilds, shard: [2, 4], properties: {} }
		});
		const invalid = await sameBucket.next((p) => p.op === GatewayOpcodes.InvalidSession);
		expect(invalid.d).toBe(false);
		expect(sameBucket.received.some((p) => p.t === 'READY')).toBe(false);
		expect(emulator.snapshot().gateway.limits.identify_concurrency_refused).toBe(1);
		// A refused IDENTIFY does not spend the daily budget.
		expect((await sessionStartLimit(emulator)).limit.remaining).toBe(998);

		now += 4_999;
		const stillEarly = await open(emulator);
		stillEarly.send({
			op: GatewayOpcodes.Identify,
			d: { token: emulator.botToken, intents: GatewayIntentBits.Guilds, shard: [2, 4], properties: {} }
		});
		await stillEarly.next((p) => p.op === GatewayOpcodes.InvalidSession);
		now += 1;
		const ready = await (await open(emulator)).identify(emulator.botToken, GatewayIntentBits.Guilds, [2, 4]);
		expect(ready.session_id).toMatch(/^[0-9a-f]{32}$/);
		expect(emulator.snapshot().gateway.connected_shards).toEqual([0, 1, 2]);
	});

	it('GIVEN a stock discord.js client with two shards in one bucket THEN it spaces its IDENTIFYs itself and none is refused', async () => {
		emulator = await startEmulator({ shards: 2, maxConcurrency: 1 });
		const e = emulator;
		const client = await connectClient(e, { shards: 'auto' });
		clients.push(client);
		expect(e.snapshot().gateway.connected_shards).toEqual([0, 1]);
		expect(e.stats.identifies).toBe(2);
		expect(e.snapshot().gateway.limits.identify_concurrency_refused).toBe(0);
	}, 20_000);
});
