/**
 * Runs `task` over `items` with at most `concurrency` at once and at most `perKey` at once per key (the feed's
 * host), keeping the input order among those that may start.
 */
export async function runLimited<T>(
	items: readonly T[],
	keyOf: (item: T) => string,
	limits: { concurrency: number; perKey: number },
	task: (item: T) => Promise<void>
): Promise<void> {
	const pending = [...items];
	const active = new Map<string, number>();
	let running = 0;
	return new Promise((resolve) => {
		const next = () => {
			if (pending.length === 0 && running === 0) return resolve();
			for (let i = 0; i < pending.length && running < limits.concurrency; ) {
				const key = keyOf(pending[i]!);
				if ((active.get(key) ?? 0) >= limits.perKey) {
					i++;
					continue;
				}
				const [item] = pending.splice(i, 1);
				running++;
				active.set(key, (active.get(key) ?? 0) + 1);
				// A task's own errors are its business: the limiter keeps going whatever one does.
				task(item!)
					.catch(() => undefined)
					.finally(() => {
						running--;
						active.set(key, active.get(key)! - 1);
						next();
					});
			}
		};
		next();
	});
}
