import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

/** V8's `gc()` with its options (the gc extension's signature). */
type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gcFunction: GcFunction | undefined;

/**
 * V8's own `gc()`, without `--expose-gc` on the command line: the flag set at run time exposes it to contexts made
 * afterwards, and a fresh context hands it back. Only the function is kept; the flag has no other effect.
 */
function v8Gc(): GcFunction {
	if (!gcFunction) {
		setFlagsFromString('--expose-gc');
		gcFunction = runInNewContext('gc') as GcFunction;
	}
	return gcFunction;
}

export interface Compaction {
	ms: number;
	rssBeforeMiB: number;
	rssAfterMiB: number;
	heapBeforeMiB: number;
	heapAfterMiB: number;
}

const mib = (bytes: number) => Number((bytes / 1_048_576).toFixed(1));

/**
 * One memory-reducing collection: V8's "last resort" GC, which collects until nothing more is freed, hands emptied
 * pages back, shrinks the young generation to its minimum and drops the bytecode of every function not running now
 * (recompiled on its next call). After a start, that is the garbage of loading (module sources parsed once, the
 * ORM's discovery, Sapphire's store loading, the first guild payloads) and the code that ran only then: measured with
 * 1 guild, 139.5 → 128.3 MiB RSS (docs/benchmarks.md). It stops the process for tens of milliseconds.
 */
export function compactMemory(): Compaction {
	const before = process.memoryUsage();
	const started = performance.now();
	v8Gc()({ type: 'major', execution: 'sync', flavor: 'last-resort' });
	const ms = Number((performance.now() - started).toFixed(1));
	const after = process.memoryUsage();
	return {
		ms,
		rssBeforeMiB: mib(before.rss),
		rssAfterMiB: mib(after.rss),
		heapBeforeMiB: mib(before.heapTotal),
		heapAfterMiB: mib(after.heapTotal)
	};
}

/**
 * Compacts once, `afterMs` after the process became ready (0: never): by then the start's background work (guild
 * command sync, the first flushes) has settled. Returns the cancel for shutdown.
 */
export function compactAfterStart(afterMs: number, logger: Logger): () => void {
	if (afterMs <= 0) return () => undefined;
	const timer = setTimeout(() => {
		const result = compactMemory();
		logger.info(result, 'memory compacted after start');
	}, afterMs);
	timer.unref();
	return () => clearTimeout(timer);
}
