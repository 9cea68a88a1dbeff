import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { container } from '@sapphire/framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health } from '../../src/core/health.ts';
import { type ApiBot, startApiBot } from '../api/helpers.ts';
import { query } from '../helpers/postgres.ts';
import { ROOT } from '../helpers/process.ts';

describe('readiness', () => {
	it('GIVEN a probe that fails, throws or hangs THEN readiness is false and names exactly those', async () => {
		const health = new Health();
		health.add({ name: 'redis', check: () => true });
		health.add({ name: 'database', check: () => false });
		health.add({
			name: 'gateway',
			check: () => {
				throw new Error('down');
			}
		});
		health.add({ name: 'slow', check: () => new Promise<boolean>(() => undefined) });
		const started = Date.now();
		const readiness = await health.readiness();
		expect(Date.now() - started).toBeLessThan(2_000);
		expect(readiness).toEqual({
			ready: false,
			checks: { redis: 'up', database: 'down', gateway: 'down', slow: 'down' },
			down: ['database', 'gateway', 'slow']
		});
		health.shuttingDown = true;
		expect((await health.readiness()).down).toContain('process');
	});
});

describe('operations endpoints', () => {
	let bot: ApiBot;
	beforeAll(async () => {
		bot = await startApiBot({ env: { METRICS_TOKEN: 'metrics-token-for-tests' } });
	}, 60_000);
	afterAll(async () => {
		await bot?.stop();
	});

	it('GIVEN everything up THEN /livez and /readyz answer 200; a failing dependency makes /readyz 503 naming it', async () => {
		expect((await fetch(`${bot.base}/livez`)).status).toBe(200);
		expect((await fetch(`${bot.base}/readyz`)).status).toBe(200);
		container.health.add({ name: 'test-dependency', check: () => false });
		const response = await fetch(`${bot.base}/readyz`);
		expect(response.status).toBe(503);
		expect(await response.json()).toMatchObject({ status: 'not_ready', down: ['test-dependency'] });
	});

	it('GIVEN METRICS_TOKEN THEN /metrics needs the bearer token and serves Prometheus text with Facet metrics', async () => {
		expect((await fetch(`${bot.base}/metrics`)).status).toBe(401);
		expect((await fetch(`${bot.base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
		const response = await fetch(`${bot.base}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests' } });
		expect(response.status).toBe(200);
		const text = await response.text();
		expect(text).toContain('facet_process_resident_memory_bytes');
		expect(text).toContain('facet_mileage_flushes_total');
	});

	it('GIVEN a database THEN scripts/backup.sh writes a dump pg_restore can read', async () => {
		await query(bot.db.url, "insert into core_guild (id, name) values ('999', 'backup check') on conflict do nothing");
		const out = mkdtempSync(join(tmpdir(), 'facet-backup-'));
		try {
			const file = execFileSync('bash', [join(ROOT, 'scripts', 'backup.sh'), out], { env: { ...process.env, DATABASE_URL: bot.db.url } })
				.toString()
				.trim();
			expect(readdirSync(out)).toEqual([file.split('/').pop()]);
			const listing = execFileSync('pg_restore', ['--list', file]).toString();
			expect(listing).toContain('TABLE DATA public core_guild');
		} finally {
			rmSync(out, { recursive: true, force: true });
		}
	});
});
