/** A dependency whose state decides readiness. */
export interface HealthProbe {
	name: string;
	/** Resolves true when the dependency answers; must finish quickly. */
	check(): Promise<boolean> | boolean;
}

/** Result of a readiness check, as `/readyz` serves it. */
export interface Readiness {
	ready: boolean;
	checks: Record<string, 'up' | 'down'>;
	down: string[];
	/** Progress that does not decide readiness (the background command sync), by name; absent when none is registered. */
	details?: Record<string, unknown>;
}

const PROBE_TIMEOUT_MS = 1_000;

/** Aggregates probes for `/readyz`: ready only when every probe answers and no shutdown began. */
export class Health {
	readonly #probes: HealthProbe[] = [];
	readonly #details = new Map<string, () => unknown>();
	public shuttingDown = false;

	/** Adds a probe. */
	public add(probe: HealthProbe): void {
		this.#probes.push(probe);
	}

	/** Adds a detail shown by `/readyz` that never makes it fail (synchronous, cheap). */
	public detail(name: string, read: () => unknown): void {
		this.#details.set(name, read);
	}

	/** Runs every probe in parallel, each bounded by a short timeout. */
	public async readiness(): Promise<Readiness> {
		const results = await Promise.all(
			this.#probes.map(async (probe) => {
				let timer: NodeJS.Timeout | undefined;
				try {
					const up = await Promise.race([
						Promise.resolve().then(() => probe.check()),
						new Promise<boolean>((resolve) => {
							timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
						})
					]);
					return [probe.name, up] as const;
				} catch {
					return [probe.name, false] as const;
				} finally {
					clearTimeout(timer);
				}
			})
		);
		const checks: Record<string, 'up' | 'down'> = {};
		for (const [name, up] of results) checks[name] = up ? 'up' : 'down';
		if (this.shuttingDown) checks.process = 'down';
		const down = Object.entries(checks)
			.filter(([, state]) => state === 'down')
			.map(([name]) => name);
		const details: Record<string, unknown> = {};
		for (const [name, read] of this.#details) {
			try {
				details[name] = read();
			} catch (error) {
				details[name] = { error: (error as Error).message };
			}
		}
		return { ready: down.length === 0, checks, down, ...(this.#details.size ? { details } : {}) };
	}
}
