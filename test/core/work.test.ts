import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Shutdown } from '../../src/core/shutdown.ts';
import { WorkTracker } from '../../src/core/work.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WorkTracker', () => {
	it('GIVEN tasks in flight, some starting more THEN drain waits for all of them', async () => {
		const work = new WorkTracker();
		const done: number[] = [];
		work.track(async () => {
			await sleep(30);
			done.push(1);
			void work.track(async () => {
				await sleep(30);
				done.push(2);
			});
		});
		expect(await work.drain(1_000)).toBe(true);
		expect(done).toEqual([1, 2]);
		expect(work.closed).toBe(true);
	});

	it('GIVEN a task slower than the deadline THEN drain gives up and says so', async () => {
		const work = new WorkTracker();
		void work.track(sleep(500));
		expect(await work.drain(50)).toBe(false);
		expect(work.size).toBe(1);
	});
});

describe('Shutdown', () => {
	it('GIVEN steps added in start order THEN they run in reverse, once, even if asked twice', async () => {
		const order: string[] = [];
		const shutdown = new Shutdown(pino({ level: 'silent' }), 1_000);
		shutdown.add('database', () => void order.push('database'));
		shutdown.add('gateway', () => void order.push('gateway'));
		const [a, b] = await Promise.all([shutdown.run('test'), shutdown.run('again')]);
		expect(order).toEqual(['gateway', 'database']);
		expect(a && b).toBe(true);
	});

	it('GIVEN a failing step THEN the later steps still run and the result is unclean', async () => {
		const order: string[] = [];
		const shutdown = new Shutdown(pino({ level: 'silent' }), 1_000);
		shutdown.add('last', () => void order.push('last'));
		shutdown.add('fails', () => {
			throw new Error('nope');
		});
		expect(await shutdown.run('test')).toBe(false);
		expect(order).toEqual(['last']);
	});

	it('GIVEN a step that outlasts its own limit THEN the later steps still run and the shutdown stays clean', async () => {
		const order: string[] = [];
		const shutdown = new Shutdown(pino({ level: 'silent' }), 5_000);
		shutdown.add('after', () => void order.push('after'));
		shutdown.add(
			'slow pool',
			async () => {
				await sleep(10_000);
			},
			{ limitMs: 100 }
		);
		const started = Date.now();
		expect(await shutdown.run('test')).toBe(true);
		expect(order).toEqual(['after']);
		expect(Date.now() - started).toBeLessThan(1_000);
	});

	it('GIVEN a limited step that fails within its limit THEN the result is unclean', async () => {
		const shutdown = new Shutdown(pino({ level: 'silent' }), 1_000);
		shutdown.add('fails', () => Promise.reject(new Error('nope')), { limitMs: 500 });
		expect(await shutdown.run('test')).toBe(false);
	});

	it('GIVEN a hanging step THEN the shutdown ends at its deadline, unclean', async () => {
		const shutdown = new Shutdown(pino({ level: 'silent' }), 300);
		shutdown.add('hangs', async () => {
			await sleep(10_000);
		});
		const started = Date.now();
		expect(await shutdown.run('test')).toBe(false);
		expect(Date.now() - started).toBeLessThan(1_000);
	});
});
