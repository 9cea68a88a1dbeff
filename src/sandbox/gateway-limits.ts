/**
 * The gateway's rate limits as Discord applies them: gateway sends per connection, and the session start limit
 * (daily IDENTIFY budget plus the `max_concurrency` buckets of 5 seconds).
 */

/** Discord closes a connection with 4008 once it sent more than this many payloads in one window. */
export const GATEWAY_SENDS_PER_WINDOW = 120;
/** The window of {@link GATEWAY_SENDS_PER_WINDOW}. */
export const GATEWAY_SEND_WINDOW_MS = 60_000;
/** Each `max_concurrency` bucket may start one session per this many milliseconds. */
export const IDENTIFY_BUCKET_MS = 5_000;

/** Counts one connection's sends in fixed windows that start with the first send. */
export class SendLimiter {
	readonly #limit: number;
	readonly #windowMs: number;
	#windowStart = 0;
	#sent = 0;

	constructor(limit = GATEWAY_SENDS_PER_WINDOW, windowMs = GATEWAY_SEND_WINDOW_MS) {
		this.#limit = limit;
		this.#windowMs = windowMs;
	}

	/** Counts one payload; false once the connection is over its limit (the caller closes it with 4008). */
	take(now: number): boolean {
		if (this.#sent === 0 || now - this.#windowStart >= this.#windowMs) {
			this.#windowStart = now;
			this.#sent = 0;
		}
		this.#sent++;
		return this.#sent <= this.#limit;
	}
}

/** Options of the session start limit; Discord's defaults for a bot in fewer than 150,000 guilds. */
export interface SessionStartOptions {
	/** Sessions a bot may start per period. @default 1000 */
	total: number;
	/** The period, in milliseconds. @default 86_400_000 (24 h) */
	resetAfterMs: number;
	/** IDENTIFY buckets (`shard_id % max_concurrency`), one session start each per 5 s. @default 1 */
	maxConcurrency: number;
	/** Length of one bucket's window. @default 5000 */
	bucketMs: number;
}

/** `session_start_limit` as `GET /gateway/bot` shows it. */
export interface SessionStartLimitInfo {
	total: number;
	remaining: number;
	reset_after: number;
	max_concurrency: number;
}

/** Why an IDENTIFY was not allowed to start a session. */
export type IdentifyVerdict = 'ok' | 'concurrency' | 'exhausted';

/**
 * The daily IDENTIFY budget and the per-bucket 5-second spacing. `remaining` counts down with each session
 * started and comes back to `total` `resetAfterMs` after the first start of the period, as Discord does.
 */
export class SessionStartLimiter {
	readonly #options: SessionStartOptions;
	#periodStart: number | null = null;
	#used = 0;
	/** Last session start per bucket. */
	readonly #lastStart = new Map<number, number>();
	/** IDENTIFYs refused for the bucket spacing (INVALID_SESSION), for the control API state. */
	#refusedConcurrency = 0;

	constructor(options: SessionStartOptions) {
		this.#options = options;
	}

	/** `session_start_limit` at `now`. */
	info(now: number): SessionStartLimitInfo {
		this.#roll(now);
		const { total, resetAfterMs, maxConcurrency } = this.#options;
		return {
			total,
			remaining: Math.max(0, total - this.#used),
			reset_after: this.#periodStart === null ? resetAfterMs : Math.max(0, this.#periodStart + resetAfterMs - now),
			max_concurrency: maxConcurrency
		};
	}

	/** How many IDENTIFYs were refused because their bucket had started a session less than 5 s before. */
	get refusedConcurrency(): number {
		return this.#refusedConcurrency;
	}

	/** Decides one IDENTIFY of `shardId`; an allowed one is counted as a session start. */
	take(shardId: number, now: number): IdentifyVerdict {
		this.#roll(now);
		if (this.#used >= this.#options.total) return 'exhausted';
		const bucket = shardId % this.#options.maxConcurrency;
		const last = this.#lastStart.get(bucket);
		if (last !== undefined && now - last < this.#options.bucketMs) {
			this.#refusedConcurrency++;
			return 'concurrency';
		}
		this.#lastStart.set(bucket, now);
		if (this.#periodStart === null) this.#periodStart = now;
		this.#used++;
		return 'ok';
	}

	/** Back to a full budget (the emulator's reset). */
	clear(): void {
		this.#periodStart = null;
		this.#used = 0;
		this.#lastStart.clear();
		this.#refusedConcurrency = 0;
	}

	#roll(now: number): void {
		if (this.#periodStart !== null && now - this.#periodStart >= this.#options.resetAfterMs) {
			this.#periodStart = null;
			this.#used = 0;
		}
	}
}
