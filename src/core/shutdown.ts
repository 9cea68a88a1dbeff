import type { Logger } from 'pino';

/** One step of the shutdown sequence. */
export interface ShutdownStep {
	name: string;
	run(): Promise<void> | void;
	/**
	 * Longest the step may take before the shutdown goes on without it (a warning, not a failure): for a step whose
	 * wait can outlast the budget without anything being lost, such as closing a pool to a database that went away.
	 */
	limitMs?: number;
}

/**
 * Runs registered steps in order, once, within a deadline. Steps are registered in start order and
 * run in reverse, so what started last (the gateway) stops first and the database closes last.
 */
export class Shutdown {
	readonly #steps: ShutdownStep[] = [];
	readonly #logger: Logger;
	readonly #timeoutMs: number;
	#running: Promise<boolean> | null = null;

	public constructor(logger: Logger, timeoutMs: number) {
		this.#logger = logger;
		this.#timeoutMs = timeoutMs;
	}

	/** True once a shutdown began. */
	public get started(): boolean {
		return this.#running !== null;
	}

	/** Adds a step; it runs before every step added earlier. */
	public add(name: string, run: ShutdownStep['run'], options: Pick<ShutdownStep, 'limitMs'> = {}): void {
		this.#steps.unshift({ name, run, ...options });
	}

	/** Runs every step once. Resolves true if all steps finished cleanly within the deadline. */
	public run(reason: string): Promise<boolean> {
		this.#running ??= this.#runSteps(reason);
		return this.#running;
	}

	async #runSteps(reason: string): Promise<boolean> {
		const deadline = Date.now() + this.#timeoutMs;
		this.#logger.info({ reason }, 'shutting down');
		let clean = true;
		for (const step of this.#steps) {
			const remaining = deadline - Date.now();
			if (remaining <= 0) {
				this.#logger.error({ step: step.name }, 'shutdown deadline reached; skipping remaining steps');
				return false;
			}
			let timer: NodeJS.Timeout | undefined;
			const limited = step.limitMs !== undefined && step.limitMs < remaining;
			try {
				const finished = await Promise.race([
					Promise.resolve()
						.then(step.run)
						.then(() => true),
					new Promise<false>((resolve, reject) => {
						timer = limited
							? setTimeout(() => resolve(false), step.limitMs)
							: setTimeout(() => reject(new Error(`step "${step.name}" exceeded the shutdown deadline`)), remaining);
					})
				]);
				if (!finished)
					this.#logger.warn({ step: step.name, limitMs: step.limitMs }, 'shutdown step did not finish within its limit; going on');
			} catch (error) {
				clean = false;
				this.#logger.error({ err: error, step: step.name }, 'shutdown step failed');
			} finally {
				clearTimeout(timer);
			}
		}
		this.#logger.info({ clean }, 'shutdown complete');
		return clean;
	}
}
