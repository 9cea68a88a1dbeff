/**
 * Tracks work the process has accepted (a handler writing to the database, a reply in flight) so a
 * shutdown can wait for it instead of cutting it off.
 */
export class WorkTracker {
	readonly #pending = new Set<Promise<unknown>>();
	#closed = false;

	/** Number of tracked tasks still running. */
	public get size(): number {
		return this.#pending.size;
	}

	/** True once {@link WorkTracker.drain} started: new work should be refused. */
	public get closed(): boolean {
		return this.#closed;
	}

	/** Runs `task` and keeps it tracked until it settles. Errors propagate to the caller. */
	public track<T>(task: Promise<T> | (() => Promise<T>)): Promise<T> {
		const promise = typeof task === 'function' ? task() : task;
		this.#pending.add(promise);
		const forget = () => this.#pending.delete(promise);
		promise.then(forget, forget);
		return promise;
	}

	/** Stops accepting new work and waits for the tracked work, up to `timeoutMs`. Resolves true when all finished. */
	public async drain(timeoutMs: number): Promise<boolean> {
		this.#closed = true;
		const deadline = Date.now() + timeoutMs;
		// Tasks may start more tasks while we wait: loop until the set is empty.
		while (this.#pending.size > 0) {
			const remaining = deadline - Date.now();
			if (remaining <= 0) return false;
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([
				Promise.allSettled([...this.#pending]),
				new Promise((resolve) => {
					timer = setTimeout(resolve, remaining);
				})
			]);
			clearTimeout(timer);
		}
		return true;
	}
}
