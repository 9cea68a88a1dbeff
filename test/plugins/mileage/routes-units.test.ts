import fc from 'fast-check';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MileageJobs } from '../../../src/plugins/mileage/lib/jobs.ts';
import { lastDays } from '../../../src/plugins/mileage/routes/_shared.ts';

// The pure and Redis-only parts of the mileage routes: chart days and the job runner.

const ZONES = [
	'UTC',
	'Europe/Paris',
	'America/Sao_Paulo',
	'Pacific/Kiritimati',
	'Pacific/Pago_Pago',
	'Australia/Lord_Howe',
	'Asia/Kathmandu'
];
const DAY = 86_400_000;

describe('lastDays', () => {
	it('GIVEN any instant, zone and count THEN consecutive calendar days ending with that zone’s today, DST or not', () => {
		fc.assert(
			fc.property(
				fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
				fc.constantFrom(...ZONES),
				fc.integer({ min: 1, max: 366 }),
				(now, zone, days) => {
					const list = lastDays(days, zone, now);
					expect(list).toHaveLength(days);
					expect(list.at(-1)).toBe(new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(now));
					for (let i = 1; i < list.length; i++) expect(Date.parse(list[i]!) - Date.parse(list[i - 1]!)).toBe(DAY);
				}
			),
			{ numRuns: 500 }
		);
	});
});

describe('MileageJobs', () => {
	let redis: Redis;
	const prefix = `facet:test:${process.pid}:mileage-jobs:`;
	const logger = pino({ level: 'silent' });

	beforeAll(async () => {
		redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
	});

	afterAll(async () => {
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length) await redis.del(...keys);
		redis.disconnect();
	});

	it('GIVEN a running import THEN a second one in the guild is refused with the first, another guild is not, and progress is stored', async () => {
		const jobs = new MileageJobs(redis, logger, { keyPrefix: prefix });
		let release!: () => void;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const first = await jobs.start('g1', 'import', 10, async (progress) => {
			await progress(4);
			await gate;
			await progress(10);
			return { imported: 10 };
		});
		if (!('job' in first)) throw new Error('the first job should start');
		expect(await jobs.start('g1', 'import', 1, async () => ({}))).toEqual({ running: expect.objectContaining({ id: first.job.id }) });
		const other = await jobs.start('g2', 'import', 1, async () => ({ imported: 1 }));
		expect('job' in other).toBe(true);
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(await jobs.get('g1', first.job.id)).toMatchObject({ state: 'running', done: 4, total: 10 });
		expect(await jobs.get('g2', first.job.id)).toBeNull();
		release();
		await jobs.settled();
		expect(await jobs.get('g1', first.job.id)).toMatchObject({ state: 'done', done: 10, result: { imported: 10 } });
		// The lock is freed: the next import starts.
		expect('job' in (await jobs.start('g1', 'import', 1, async () => ({})))).toBe(true);
		await jobs.settled();
	});

	it('GIVEN a shutdown mid-job THEN it stops at its next progress report as interrupted, keeping what was done; a failure is failed', async () => {
		let closing = false;
		const jobs = new MileageJobs(redis, logger, { keyPrefix: prefix, isClosing: () => closing });
		let chunks = 0;
		const started = await jobs.start('g3', 'import', 3, async (progress) => {
			for (let done = 1; done <= 3; done++) {
				chunks++;
				if (done === 2) closing = true;
				await progress(done);
			}
			return {};
		});
		await jobs.settled();
		if (!('job' in started)) throw new Error('the job should start');
		expect(await jobs.get('g3', started.job.id)).toMatchObject({ state: 'interrupted', done: 1 });
		expect(chunks).toBe(2);
		closing = false;
		const failing = await jobs.start('g3', 'import', 1, async () => {
			throw new Error('database down');
		});
		await jobs.settled();
		if (!('job' in failing)) throw new Error('the job should start');
		expect(await jobs.get('g3', failing.job.id)).toMatchObject({ state: 'failed', error: 'database down' });
	});

	it('GIVEN a running job whose process died (no update for staleMs) THEN it reads as interrupted', async () => {
		const jobs = new MileageJobs(redis, logger, { keyPrefix: prefix, staleMs: 50 });
		let release!: () => void;
		const started = await jobs.start('g4', 'tierSync', 1, () => new Promise((resolve) => (release = () => resolve({}))));
		if (!('job' in started)) throw new Error('the job should start');
		await new Promise((resolve) => setTimeout(resolve, 80));
		expect((await jobs.get('g4', started.job.id))!.state).toBe('interrupted');
		release();
		await jobs.settled();
		expect((await jobs.list('g4')).map((job) => [job.id, job.state])).toEqual([[started.job.id, 'done']]);
	});
});
