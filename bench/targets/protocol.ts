/**
 * What a benchmark target (a child process with a Discord client) and the driver say to each other over the IPC
 * channel. Times are absolute milliseconds (`performance.timeOrigin + performance.now()`), comparable across
 * processes of one machine.
 */
export type DriverMessage =
	| { type: 'expect'; round: string; count: number }
	/** `gc`: collect garbage first (the target runs with --expose-gc), so the figures are what stays alive. */
	| { type: 'report'; gc?: boolean }
	| { type: 'cpu' }
	| { type: 'exit' };

/** Messages a target sends back. */
export type TargetMessage =
	| { type: 'ready'; startMs: number; phasesMs?: Record<string, number> }
	| { type: 'armed'; round: string }
	| { type: 'done'; round: string; firstAt: number; lastAt: number; handled: number; cpuMicros: number; mainMicros: number }
	| { type: 'report'; stats: Record<string, unknown> }
	| { type: 'cpu'; micros: number };

/** Absolute time in milliseconds with sub-millisecond precision. */
export const now = (): number => performance.timeOrigin + performance.now();

/**
 * Counts `messageCreate` events a client handled and tells the driver when a round's last one was handled.
 * Attach it after every other `messageCreate` listener: it then runs once they all returned for that event.
 */
export function roundCounter(send: (message: TargetMessage) => void) {
	let round: { name: string; count: number; seen: number; firstAt: number; cpu: NodeJS.CpuUsage; main: NodeJS.CpuUsage } | null = null;
	process.on('message', (message: DriverMessage) => {
		if (message.type !== 'expect') return;
		round = { name: message.round, count: message.count, seen: 0, firstAt: 0, cpu: process.cpuUsage(), main: process.threadCpuUsage() };
		send({ type: 'armed', round: message.round });
	});
	return () => {
		if (!round) return;
		if (round.seen++ === 0) round.firstAt = now();
		if (round.seen === round.count) {
			const lastAt = now();
			// CPU time of the whole process (every thread) while the round ran: what the events cost, whatever else
			// the machine was doing meanwhile.
			const cpu = process.cpuUsage(round.cpu);
			const main = process.threadCpuUsage(round.main);
			send({
				type: 'done',
				round: round.name,
				firstAt: round.firstAt,
				lastAt,
				handled: round.seen,
				cpuMicros: cpu.user + cpu.system,
				mainMicros: main.user + main.system
			});
			round = null;
		}
	};
}

/** Sends over the IPC channel (the target is always forked by the driver). */
export function send(message: TargetMessage): void {
	process.send?.(message);
}

/** The process's memory as the benchmarks report it, after a full collection when asked and possible. */
export function memoryStats(collect: boolean): { rssMiB: number; heapUsedMiB: number; externalMiB: number } {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (collect && gc) {
		gc();
		gc();
	}
	const usage = process.memoryUsage();
	const mib = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
	return { rssMiB: mib(usage.rss), heapUsedMiB: mib(usage.heapUsed), externalMiB: mib(usage.external + usage.arrayBuffers) };
}

/** Answers the driver's `cpu` question: CPU time (user + system, every thread) the process used so far. */
export function answerCpu(): void {
	process.on('message', (message: DriverMessage) => {
		if (message.type !== 'cpu') return;
		const cpu = process.cpuUsage();
		send({ type: 'cpu', micros: cpu.user + cpu.system });
	});
}
