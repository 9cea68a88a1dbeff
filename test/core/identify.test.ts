import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayManager } from '../../src/core/gateway-sessions.ts';
import { SessionStartGuard } from '../../src/core/identify.ts';
import { type BoundedRedis, connectRedis } from '../../src/core/redis.ts';
import { waitUntil } from '../helpers/sandbox.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let redis: BoundedRedis;
const prefixes: string[] = [];

beforeAll(async () => {
	redis = await connectRedis(REDIS_URL, pino({ level: 'silent' }));
});

afterAll(async () => {
	// Only this test's own keys (the Redis is shared with other engineers' tests).
	for (const prefix of prefixes) await redis.del(`${prefix}:identify:0`, `${prefix}:identify:1`);
	await redis.quit();
});

/** `GET /gateway/bot` as the manager answers it, with a session start limit the test changes. */
function fakeManager(limit: { remaining: number; max_concurrency: number }) {
	let asked = 0;
	const manager = {
		async fetchGatewayInformation() {
			asked++;
			return { url: 'ws://x', shards: 2, session_start_limit: { total: 1000, reset_after: 500, ...limit } };
		}
	};
	return { manager: manager as unknown as GatewayManager, limit, asked: () => asked };
}

function guard(manager: GatewayManager, lines: Record<string, unknown>[], keyPrefix: string, options = {}) {
	const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
	return new SessionStartGuard(manager, redis, logger, { keyPrefix, minRemaining: 10, bucketMs: 1_000, pollMs: 50, ...options });
}

describe('SessionStartGuard', () => {
	it('GIVEN fewer session starts remaining than the threshold THEN it refuses to identify, says why, and identifies once Discord reports enough', async () => {
		const prefix = `facet:test-identify:${randomUUID()}`;
		prefixes.push(prefix);
		const lines: Record<string, unknown>[] = [];
		const fake = fakeManager({ remaining: 9, max_concurrency: 1 });
		let identified = false;
		const waiting = guard(fake.manager, lines, prefix)
			.waitForIdentify(0, new AbortController().signal)
			.then(() => {
				identified = true;
			});
		await waitUntil(
			() => lines.length,
			(n) => n > 0,
			5_000
		);
		expect(identified).toBe(false);
		expect(lines[0]).toMatchObject({ shardId: 0, remaining: 9, minRemaining: 10 });
		expect(String(lines[0]!.msg)).toContain('refusing to IDENTIFY shard 0: 9 session starts remain, below GATEWAY_MIN_SESSION_STARTS=10');
		fake.limit.remaining = 10;
		await waiting;
		expect(identified).toBe(true);
		expect(fake.asked()).toBeGreaterThanOrEqual(2);
	});

	it('GIVEN max_concurrency 2 and two processes THEN shards of one bucket identify one after the other, the other bucket at once', async () => {
		const prefix = `facet:test-identify:${randomUUID()}`;
		prefixes.push(prefix);
		const fake = fakeManager({ remaining: 500, max_concurrency: 2 });
		const [one, two] = [guard(fake.manager, [], prefix), guard(fake.manager, [], prefix)];
		const signal = new AbortController().signal;
		await one.waitForIdentify(0, signal);
		let shard2 = false;
		const second = two.waitForIdentify(2, signal).then(() => {
			shard2 = true;
		});
		// Bucket 1 is free: shard 1 goes while shard 2 (bucket 0, like shard 0) still waits for its 5 s slot (1 s here).
		await two.waitForIdentify(1, signal);
		expect(shard2).toBe(false);
		expect(await redis.pttl(`${prefix}:identify:0`)).toBeGreaterThan(0);
		await second;
		expect(shard2).toBe(true);
	});

	it('GIVEN a shutdown while waiting THEN the wait is aborted', async () => {
		const prefix = `facet:test-identify:${randomUUID()}`;
		prefixes.push(prefix);
		const fake = fakeManager({ remaining: 0, max_concurrency: 1 });
		const controller = new AbortController();
		const waiting = guard(fake.manager, [], prefix).waitForIdentify(0, controller.signal);
		await waitUntil(fake.asked, (n) => n > 0, 5_000);
		controller.abort();
		await expect(waiting).rejects.toThrow(/abort/i);
	});
});
