import { createHash } from 'node:crypto';

/** Rate-limit headers of one response. */
export interface RateLimitHeaders {
	'X-RateLimit-Limit': string;
	'X-RateLimit-Remaining': string;
	'X-RateLimit-Reset': string;
	'X-RateLimit-Reset-After': string;
	'X-RateLimit-Bucket': string;
}

/** Outcome of taking one request from a bucket. */
export interface RateLimitResult {
	limited: boolean;
	/** Seconds until the bucket refills. */
	resetAfter: number;
	headers: RateLimitHeaders;
}

interface Bucket {
	remaining: number;
	resetAt: number;
}

/**
 * Fixed-window per-route buckets, keyed like Discord's: the route template plus its
 * major parameter (channel, guild or webhook), so two channels do not share a bucket.
 */
export class RateLimiter {
	readonly #limit: number;
	readonly #windowMs: number;
	readonly #buckets = new Map<string, Bucket>();

	constructor(limit = 50, windowMs = 1000) {
		this.#limit = limit;
		this.#windowMs = windowMs;
	}

	/** Opaque bucket hash for a route template, stable across restarts like Discord's. */
	static hash(routeKey: string): string {
		return createHash('sha1').update(routeKey).digest('hex').slice(0, 16);
	}

	/** Counts one request against `routeKey` + `majorParameter` and says whether it is over the limit. */
	take(routeKey: string, majorParameter: string, now = Date.now()): RateLimitResult {
		const key = `${routeKey}:${majorParameter}`;
		let bucket = this.#buckets.get(key);
		if (!bucket || bucket.resetAt <= now) {
			bucket = { remaining: this.#limit, resetAt: now + this.#windowMs };
			this.#buckets.set(key, bucket);
			this.#sweep(now);
		}
		const limited = bucket.remaining <= 0;
		if (!limited) bucket.remaining--;
		const resetAfter = Math.max(0, bucket.resetAt - now) / 1000;
		return {
			limited,
			resetAfter,
			headers: {
				'X-RateLimit-Limit': String(this.#limit),
				'X-RateLimit-Remaining': String(bucket.remaining),
				'X-RateLimit-Reset': (bucket.resetAt / 1000).toFixed(3),
				'X-RateLimit-Reset-After': resetAfter.toFixed(3),
				'X-RateLimit-Bucket': RateLimiter.hash(routeKey)
			}
		};
	}

	/** Forgets every bucket (used by reset). */
	clear(): void {
		this.#buckets.clear();
	}

	/** Drops expired buckets now and then so long runs with many channels do not grow the map forever. */
	#sweep(now: number): void {
		if (this.#buckets.size < 1000) return;
		for (const [key, bucket] of this.#buckets) if (bucket.resetAt <= now) this.#buckets.delete(key);
	}
}
