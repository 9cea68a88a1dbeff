import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startFacet } from '../../src/core/boot.ts';
import { parseEnv } from '../../src/core/env.ts';
import { createLogger } from '../../src/core/logger.ts';
import { plugins } from '../../src/plugins/index.ts';
import { findRedisServer, isListening } from '../../src/sandbox/private-redis.ts';
import { startSandboxTarget } from '../../src/sandbox/target.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase } from '../helpers/postgres.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'facet-private-redis-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the sandbox without a Redis', () => {
	it('GIVEN REDIS_URL unset, nothing on the default address and redis-server on the PATH THEN the sandbox runs on a private redis-server it stops with itself', async () => {
		expect(findRedisServer(), 'these tests need redis-server on the PATH').not.toBeNull();
		// Nothing listens on this port: it stands for an empty 127.0.0.1:6379 (the machine's own Redis stays up).
		const probe = { host: '127.0.0.1', port: await freePort() };
		const db = await createScratchDatabase('facet_private_redis');
		const env = parseEnv(
			{
				DATABASE_URL: db.url,
				DATA_DIR: dataDir,
				API_PORT: String(await freePort()),
				API_HOST: '127.0.0.1',
				EMULATOR_PORT: String(await freePort()),
				LOG_LEVEL: 'warn',
				TASKS_QUEUE: `facet-private-redis-${process.pid}`
			},
			plugins
		);
		const handle = await startFacet({
			env,
			logger: createLogger({ level: 'warn', format: 'json' }),
			plugins,
			discord: (context) => startSandboxTarget(context, { source: { PATH: process.env.PATH }, defaultRedis: probe })
		});
		const url = handle.target.redisUrl;
		try {
			expect(url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
			expect(url).not.toBe(env.REDIS_URL);
			// The bot's own connection is to the private server, and it is a real Redis.
			expect(handle.redis.options.port).toBe(Number(new URL(url!).port));
			const outside = new Redis(url!, { lazyConnect: true, maxRetriesPerRequest: 0 });
			await outside.connect();
			expect(await outside.ping()).toBe('PONG');
			expect(await outside.info('server')).toContain('redis_version');
			outside.disconnect();
			expect(existsSync(join(dataDir, 'redis'))).toBe(true);
		} finally {
			await handle.shutdown.run('test finished');
			await db.drop();
		}
		const port = Number(new URL(url!).port);
		expect(await isListening('127.0.0.1', port)).toBe(false);
	}, 60_000);

	it('GIVEN REDIS_URL set, or no redis-server on the PATH THEN no private Redis is started', async () => {
		const probe = { host: '127.0.0.1', port: await freePort() };
		const env = parseEnv({ EMULATOR_URL: 'http://127.0.0.1:1', DATA_DIR: dataDir });
		const context = { env, logger: createLogger({ level: 'silent' }), shutdown: { add: () => undefined } as never };
		const withUrl = await startSandboxTarget(context, {
			source: { REDIS_URL: 'redis://127.0.0.1:6379', PATH: process.env.PATH },
			defaultRedis: probe
		});
		expect(withUrl.redisUrl).toBeUndefined();
		const noBinary = await startSandboxTarget(context, { source: { PATH: '/nonexistent' }, defaultRedis: probe });
		expect(noBinary.redisUrl).toBeUndefined();
	});
});
