import { getHeapCodeStatistics, getHeapSpaceStatistics } from 'node:v8';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { compactAfterStart, compactMemory } from '../../src/core/memory.ts';
import { waitUntil } from '../helpers/sandbox.ts';

const bytecode = () => getHeapCodeStatistics().bytecode_and_metadata_size;
const youngCommitted = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.physical_space_size;

describe('compactMemory', () => {
	it('GIVEN code that ran once at start and is still referenced THEN its bytecode is dropped, and the young generation shrinks', () => {
		// What a start leaves: functions compiled and run once (a module's top level, the ORM's discovery), still
		// reachable from their modules. A plain major GC keeps their bytecode; only a memory-reducing one drops it.
		const once = Array.from(
			{ length: 3_000 },
			(_, i) => new Function('a', `let s = ${i}; for (const x of a) s += x * ${i}; return [s, a.length, ${i}].join('-');`)
		);
		for (const run of once) run([1, 2, 3]);
		// Short-lived allocation, as the start's guild payloads are, grows the young generation.
		let keep = 0;
		for (let i = 0; i < 200_000; i++) keep += JSON.stringify({ i, text: 'x'.repeat(40) }).length;
		const before = { bytecode: bytecode(), young: youngCommitted() };

		const result = compactMemory();

		expect(keep).toBeGreaterThan(0);
		expect(once).toHaveLength(3_000);
		// 3,000 compiled functions are several hundred KiB of bytecode.
		expect(before.bytecode - bytecode()).toBeGreaterThan(256 * 1024);
		expect(youngCommitted()).toBeLessThanOrEqual(before.young);
		expect(result.heapAfterMiB).toBeLessThanOrEqual(result.heapBeforeMiB);
		expect(result.ms).toBeGreaterThan(0);
		// The functions still work: V8 compiles them again on their next call.
		expect(once[7]!([2])).toBe('21-1-7');
	});
});

describe('compactAfterStart', () => {
	const capture = () => {
		const lines: { msg: string; rssAfterMiB?: number }[] = [];
		const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
		return { lines, logger };
	};

	it('GIVEN a delay THEN it compacts once after it, and says what it freed', async () => {
		const { lines, logger } = capture();
		compactAfterStart(50, logger);
		const logged = await waitUntil(
			() => lines.filter((line) => line.msg === 'memory compacted after start'),
			(found) => found.length === 1,
			5_000
		);
		expect(logged[0]!.rssAfterMiB).toBeGreaterThan(0);
	});

	it('GIVEN 0, or a cancel before the delay THEN it never compacts', async () => {
		const { lines, logger } = capture();
		compactAfterStart(0, logger);
		const cancel = compactAfterStart(50, logger);
		cancel();
		// A later one that runs: once it has, the two above had their chance (timers fire in order of their delays).
		const { lines: later, logger: laterLogger } = capture();
		compactAfterStart(200, laterLogger);
		await waitUntil(
			() => later.filter((line) => line.msg === 'memory compacted after start'),
			(found) => found.length === 1,
			5_000
		);
		expect(lines.filter((line) => line.msg === 'memory compacted after start')).toEqual([]);
	});
});
