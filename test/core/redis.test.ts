import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BoundedRedis, connectRedis, RedisUnavailableError } from '../../src/core/redis.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const target = new URL(REDIS_URL);
let proxy: TcpProxy;
let redis: BoundedRedis;
const lines: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });

beforeAll(async () => {
	proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
	redis = await connectRedis(proxy.rewrite(REDIS_URL), logger);
	redis.maxOfflineQueue = 20;
});

afterAll(async () => {
	redis?.disconnect();
	await proxy?.close();
});

describe('Redis connection', () => {
	it('GIVEN Redis unreachable at start THEN one RedisUnavailableError naming REDIS_URL (password hidden) and how to start Redis', async () => {
		const error = await connectRedis('redis://:hunter2@127.0.0.1:1', logger).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(RedisUnavailableError);
		expect((error as Error).message).toContain('REDIS_URL=redis://:***@127.0.0.1:1');
		expect((error as Error).message).toContain('redis-server');
		expect((error as Error).message).not.toContain('hunter2');
	});

	it('GIVEN an outage THEN commands queue up to the bound, the rest fail at once, the outage is logged once, and the queue drains on reconnect', async () => {
		expect(await redis.set('facet:test:bounded', '1')).toBe('OK');
		proxy.cut();
		await new Promise((resolve) => setTimeout(resolve, 200));
		const queued = Array.from({ length: 20 }, (_, i) => redis.incr(`facet:test:bounded:${i}`));
		const started = performance.now();
		const overflow = await redis.incr('facet:test:bounded:overflow').catch((error: Error) => error);
		expect(overflow).toBeInstanceOf(Error);
		expect((overflow as Error).message).toContain('offline queue is full');
		expect(performance.now() - started).toBeLessThan(100);
		await new Promise((resolve) => setTimeout(resolve, 1_000));
		expect(lines.filter((line) => line.includes('Redis connection lost')).length).toBe(1);
		proxy.restore();
		const results = await Promise.allSettled(queued);
		// Queued commands either ran after reconnecting or failed after their retries, never hung.
		expect(results.length).toBe(20);
		await redis.ping();
		expect(lines.some((line) => line.includes('Redis connection restored'))).toBe(true);
		await redis.del('facet:test:bounded', ...Array.from({ length: 20 }, (_, i) => `facet:test:bounded:${i}`));
	});
});

describe('a reply with no command waiting for it (ioredis "Command queue state error")', () => {
	it('GIVEN a nil reply arriving when no command waits THEN the connection reports the error and nothing throws out of its data handler', async () => {
		const errors: Error[] = [];
		const onError = (error: Error) => errors.push(error);
		const logged = lines.length;
		redis.on('error', onError);
		try {
			const socket = (redis as unknown as { stream: { emit(event: 'data', chunk: Buffer): boolean } }).stream;
			// What the socket would deliver: RESP's nil bulk string, for a command no longer in the queue.
			expect(() => socket.emit('data', Buffer.from('$-1\r\n'))).not.toThrow();
			expect(errors.map((error) => error.message)).toEqual([
				'Command queue state error. If you can reproduce this, please report it. Last reply: null'
			]);
			// Logged as what it is, not as an outage; the connection still answers.
			const since = lines.slice(logged);
			expect(since.filter((line) => line.includes('Redis sent a reply no command waited for'))).toHaveLength(1);
			expect(since.some((line) => line.includes('Redis connection lost'))).toBe(false);
			expect(await redis.ping()).toBe('PONG');
		} finally {
			redis.off('error', onError);
		}
	});
});
