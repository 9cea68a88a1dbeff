/**
 * The REST limits above the per-route buckets: the global limit per bot token, and the invalid-request counter
 * behind Discord's Cloudflare ban (10,000 answers of 401, 403 or 429 in 10 minutes).
 */

/** Options of {@link RestLimits}; Discord's values by default. */
export interface RestLimitOptions {
	/** Requests per second per bot token across all routes (interaction endpoints are exempt). @default 50 */
	globalPerSecond: number;
	/** Invalid requests (401, 403, 429 other than shared-scope) allowed per window before the ban. @default 10000 */
	invalidRequestLimit: number;
	/** The invalid-request window. @default 600000 (10 minutes) */
	invalidRequestWindowMs: number;
	/** How long the ban lasts. @default 3600000 (1 hour) */
	banMs: number;
}

export const DefaultRestLimitOptions: RestLimitOptions = {
	globalPerSecond: 50,
	invalidRequestLimit: 10_000,
	invalidRequestWindowMs: 600_000,
	banMs: 3_600_000
};

/** The counters as `GET /_emulator/state` shows them. */
export interface RestLimitsInfo {
	global_per_second: number;
	/** 429s answered for the global limit. */
	global_limited: number;
	invalid_requests: {
		/** Invalid requests in the current window. */
		count: number;
		/** Every invalid request since the start (or the last reset). */
		total: number;
		limit: number;
		window_ms: number;
	};
	/** Set while the token is banned: when the ban ends (epoch ms of the emulator's clock). */
	banned_until: number | null;
	/** Requests refused by the ban. */
	ban_refused: number;
}

/** Result of {@link RestLimits.takeGlobal}: null when allowed, else seconds until the next second starts. */
export type GlobalVerdict = null | { retryAfter: number };

/** Global limit and invalid-request ban of one emulator (one bot token). */
export class RestLimits {
	readonly #options: RestLimitOptions;
	#globalWindowStart = 0;
	#globalCount = 0;
	#globalLimited = 0;
	/** Times of the invalid requests still inside the window, oldest first (at most `invalidRequestLimit`). */
	#invalid: number[] = [];
	#invalidHead = 0;
	#invalidTotal = 0;
	#bannedUntil: number | null = null;
	#banRefused = 0;

	constructor(options: Partial<RestLimitOptions> = {}) {
		this.#options = { ...DefaultRestLimitOptions, ...options };
	}

	/** Counts one request against the global limit. */
	takeGlobal(now: number): GlobalVerdict {
		if (now - this.#globalWindowStart >= 1000) {
			this.#globalWindowStart = now;
			this.#globalCount = 0;
		}
		if (this.#globalCount >= this.#options.globalPerSecond) {
			this.#globalLimited++;
			return { retryAfter: Math.max(0.001, (this.#globalWindowStart + 1000 - now) / 1000) };
		}
		this.#globalCount++;
		return null;
	}

	/** Whether the token is banned at `now`; a refused request is counted. */
	refuseBanned(now: number): { retryAfter: number } | null {
		if (this.#bannedUntil === null) return null;
		if (now >= this.#bannedUntil) {
			this.#bannedUntil = null;
			return null;
		}
		this.#banRefused++;
		return { retryAfter: (this.#bannedUntil - now) / 1000 };
	}

	/** Counts one answered request: 401, 403 and 429 (unless its scope is `shared`) are invalid. */
	noteResponse(status: number, scope: string | undefined, now: number): void {
		if (status !== 401 && status !== 403 && status !== 429) return;
		if (status === 429 && scope === 'shared') return;
		this.#trim(now);
		this.#invalid.push(now);
		this.#invalidTotal++;
		if (this.#invalid.length - this.#invalidHead >= this.#options.invalidRequestLimit && this.#bannedUntil === null) {
			this.#bannedUntil = now + this.#options.banMs;
		}
	}

	/** The counters at `now`. */
	info(now: number): RestLimitsInfo {
		this.#trim(now);
		return {
			global_per_second: this.#options.globalPerSecond,
			global_limited: this.#globalLimited,
			invalid_requests: {
				count: this.#invalid.length - this.#invalidHead,
				total: this.#invalidTotal,
				limit: this.#options.invalidRequestLimit,
				window_ms: this.#options.invalidRequestWindowMs
			},
			banned_until: this.#bannedUntil !== null && now < this.#bannedUntil ? this.#bannedUntil : null,
			ban_refused: this.#banRefused
		};
	}

	/** Forgets every count and lifts the ban (the emulator's reset). */
	clear(): void {
		this.#globalWindowStart = 0;
		this.#globalCount = 0;
		this.#globalLimited = 0;
		this.#invalid = [];
		this.#invalidHead = 0;
		this.#invalidTotal = 0;
		this.#bannedUntil = null;
		this.#banRefused = 0;
	}

	/** Drops invalid requests older than the window (amortised: the array is compacted once half of it is dead). */
	#trim(now: number): void {
		const cutoff = now - this.#options.invalidRequestWindowMs;
		while (this.#invalidHead < this.#invalid.length && (this.#invalid[this.#invalidHead] ?? now) <= cutoff) this.#invalidHead++;
		if (this.#invalidHead > 1024 && this.#invalidHead * 2 > this.#invalid.length) {
			this.#invalid = this.#invalid.slice(this.#invalidHead);
			this.#invalidHead = 0;
		}
	}
}
