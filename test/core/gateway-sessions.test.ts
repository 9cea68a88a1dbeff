import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { SessionInfo } from 'discord.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayManager, GatewaySessions } from '../../src/core/gateway-sessions.ts';
import { type BoundedRedis, connectRedis } from '../../src/core/redis.ts';
import { AwardBuffer } from '../../src/plugins/mileage/lib/buffer.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });
let redis: BoundedRedis;
const prefixes: string[] = [];

beforeAll(async () => {
	redis = await connectRedis(REDIS_URL, logger);
});

afterAll(async () => {
	// Only this test's own keys (the Redis is shared with other engineers' tests).
	for (const prefix of prefixes) await redis.del(`${prefix}:session:0`, `${prefix}:session:1`);
	await redis.quit();
});

/**
 * The two objects of discord.js the sessions hook into, as discord.js shapes them: the `@discordjs/ws` manager (its
 * options carry discord.js' in-memory session hooks) and discord.js' WebSocketManager, whose `handlePacket` answers
 * false for a packet it queues until the client is ready.
 */
function fakeGateway() {
	const memory = new Map<number, SessionInfo | null>();
	const manager = Object.assign(new EventEmitter(), {
		options: {
			retrieveSessionInfo: (shardId: number) => memory.get(shardId) ?? null,
			updateSessionInfo: (shardId: number, info: SessionInfo | null) => {
				memory.set(shardId, info);
			}
		},
		destroyed: [] as unknown[],
		async destroy(options: unknown) {
			this.destroyed.push(options);
		}
	});
	const allReady: number[] = [];
	const ws = {
		queueing: false,
		handled: [] as number[],
		handlePacket(packet?: { s: number }, _shard?: { id: number }) {
			if (!packet) return true;
			if (this.queueing) return false;
			this.handled.push(packet.s);
			return true;
		},
		shards: new Map([[0, { status: 2, emit: (event: string) => event === 'allReady' && allReady.push(0) > 0 }]])
	};
	return { manager, ws, memory, allReady };
}

function setup(prefix = `facet:test-gateway:${randomUUID()}`) {
	prefixes.push(prefix);
	const sessions = new GatewaySessions(redis, logger, { keyPrefix: prefix });
	const gateway = fakeGateway();
	sessions.attach(gateway.manager as unknown as GatewayManager);
	sessions.instrument({ ws: gateway.ws } as never);
	/** A dispatch as @discordjs/ws delivers it: sequence updated, `dispatch` emitted, discord.js handles it. */
	const dispatch = async (s: number) => {
		const info = (await gateway.manager.options.retrieveSessionInfo(0)) as SessionInfo;
		await gateway.manager.options.updateSessionInfo(0, { ...info, sequence: s });
		gateway.manager.emit('dispatch', { shardId: 0, data: { s, t: 'MESSAGE_CREATE' } });
		return gateway.ws.handlePacket({ s }, { id: 0 });
	};
	return { sessions, gateway, dispatch, prefix };
}

const READY: SessionInfo = { sessionId: 'session-1', resumeURL: 'ws://resume', sequence: 1, shardId: 0, shardCount: 2 };

describe('the durable gateway checkpoint', () => {
	it('GIVEN events handled and a participant holding some in memory THEN the checkpoint stops just before the first one held', async () => {
		const { sessions, gateway, dispatch } = setup();
		await gateway.manager.options.updateSessionInfo(0, READY);
		const buffer = new AwardBuffer(100);
		sessions.register({ lowestPending: (shardId) => buffer.lowestPending(shardId) });
		for (let s = 2; s <= 5; s++) await dispatch(s);
		expect(sessions.checkpoint(0)).toBe(5);
		// Events 6 and 8 earn points (noted with the event that runs), 7 earns nothing.
		for (const s of [6, 7, 8]) {
			await dispatch(s);
			if (s !== 7) buffer.add('g', `u${s}`, 'message', 1, { shardId: 0, sequence: s });
		}
		expect(sessions.checkpoint(0)).toBe(5);
		const batch = buffer.seal(Date.now())!;
		await dispatch(9);
		buffer.add('g', 'u9', 'message', 1, { shardId: 0, sequence: 9 });
		expect(sessions.checkpoint(0)).toBe(5);
		buffer.applied(batch);
		expect(sessions.checkpoint(0)).toBe(8);
		buffer.applied(buffer.seal(Date.now())!);
		expect(sessions.checkpoint(0)).toBe(9);
	});

	it('GIVEN events discord.js queued (client not ready) THEN the checkpoint waits until it handled them', async () => {
		const { sessions, gateway, dispatch } = setup();
		await gateway.manager.options.updateSessionInfo(0, READY);
		await dispatch(2);
		gateway.ws.queueing = true;
		expect(await dispatch(3)).toBe(false);
		expect(await dispatch(4)).toBe(false);
		expect(sessions.checkpoint(0)).toBe(2);
		gateway.ws.queueing = false;
		gateway.ws.handlePacket({ s: 3 }, { id: 0 });
		expect(sessions.checkpoint(0)).toBe(3);
		gateway.ws.handlePacket({ s: 4 }, { id: 0 });
		expect(sessions.checkpoint(0)).toBe(4);
	});

	it('GIVEN a saved checkpoint THEN the next process resumes from it (not from the live sequence) once, and is marked ready on RESUMED', async () => {
		const first = setup();
		await first.gateway.manager.options.updateSessionInfo(0, READY);
		const held = new Set<number>([4]);
		first.sessions.register({ lowestPending: () => (held.size ? Math.min(...held) : null) });
		for (let s = 2; s <= 6; s++) await first.dispatch(s);
		await first.sessions.save();

		const second = setup(first.prefix);
		expect(await second.sessions.load([0, 1], 2)).toHaveLength(1);
		// What @discordjs/ws asks before connecting (discord.js' own memory is empty in a new process).
		expect(await second.gateway.manager.options.retrieveSessionInfo(0)).toMatchObject({
			sessionId: 'session-1',
			resumeURL: 'ws://resume',
			sequence: 3
		});
		// The first replayed event marks the shard ready (once), before discord.js handles it.
		await second.dispatch(4);
		second.gateway.manager.emit('resumed', { shardId: 0 });
		expect(second.gateway.allReady).toEqual([0]);
		expect(second.gateway.ws.shards.get(0)!.status).toBe(0);

		// Saved under another shard count: Discord would refuse it; it is not offered.
		const third = setup(first.prefix);
		expect(await third.sessions.load([0], 4)).toEqual([]);
	});

	it('GIVEN an invalidated session THEN its saved copy is deleted; GIVEN a shutdown THEN the close is resumable and the copy kept', async () => {
		const { sessions, gateway, dispatch, prefix } = setup();
		await gateway.manager.options.updateSessionInfo(0, READY);
		await dispatch(2);
		await sessions.save();
		expect(await redis.exists(`${prefix}:session:0`)).toBe(1);
		await gateway.manager.options.updateSessionInfo(0, null);
		expect(await redis.exists(`${prefix}:session:0`)).toBe(0);

		await gateway.manager.options.updateSessionInfo(0, { ...READY, sessionId: 'session-2' });
		await dispatch(3);
		await sessions.closeResumable();
		// @discordjs/ws clears the session when it destroys without a resume: ignored during a shutdown.
		await gateway.manager.options.updateSessionInfo(0, null);
		await sessions.stop();
		expect(gateway.manager.destroyed).toEqual([{ code: 4200, reason: 'restarting: resume expected' }]);
		expect(JSON.parse((await redis.get(`${prefix}:session:0`)) ?? '{}')).toMatchObject({ sessionId: 'session-2', sequence: 3 });
	});
});
