/**
 * Lets at most `limit` actions start within any `windowMs` (a sliding window, the strict reading of a Discord
 * limit such as "50 requests per second"): `take()` resolves when the next one may start. discord.js' own global
 * limiter counts per fixed second, which lets up to twice its limit through around a second boundary.
 */
export class SlidingWindowPacer {
	readonly #limit: number;
	readonly #windowMs: number;
	readonly #times: number[] = [];
	#chain: Promise<void> = Promise.resolve();

	public constructor(limit: number, windowMs: number) {
		this.#limit = limit;
		this.#windowMs = windowMs;
	}

	/** Waits for a slot; concurrent callers are served in order. */
	public take(): Promise<void> {
		const turn = this.#chain.then(() => this.#wait());
		this.#chain = turn;
		return turn;
	}

	async #wait(): Promise<void> {
		for (;;) {
			const now = Date.now();
			while (this.#times.length > 0 && this.#times[0]! <= now - this.#windowMs) this.#times.shift();
			if (this.#times.length < this.#limit) {
				this.#times.push(now);
				return;
			}
			await new Promise((resolve) => setTimeout(resolve, this.#times[0]! + this.#windowMs - now + 1));
		}
	}
}
