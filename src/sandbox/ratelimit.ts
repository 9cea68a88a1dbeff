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
	limit: number;
}

/** The size of one bucket: `limit` requests per `windowMs`. */
export interface BucketLimit {
	limit: number;
	windowMs: number;
	/** Routes with the same `shares` name count against one bucket (Discord gives them one bucket hash). */
	shares?: string;
}

/**
 * Per-route limits Discord applies (it does not publish them; these are the values its headers show), by route
 * key; every other route gets the emulator's default bucket. Each is counted per major parameter.
 */
export const ROUTE_LIMITS: Readonly<Record<string, BucketLimit>> = {
	'POST /channels/{channel_id}/messages': { limit: 5, windowMs: 5_000 },
	'PATCH /channels/{channel_id}/messages/{message_id}': { limit: 5, windowMs: 5_000 },
	'DELETE /channels/{channel_id}/messages/{message_id}': { limit: 5, windowMs: 1_000 },
	'PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me': { limit: 1, windowMs: 250, shares: 'reactions' },
	'DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me': { limit: 1, windowMs: 250, shares: 'reactions' },
	'PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}': { limit: 10, windowMs: 10_000, shares: 'member-roles' },
	'DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}': { limit: 10, windowMs: 10_000, shares: 'member-roles' },
	'PATCH /guilds/{guild_id}/members/{user_id}': { limit: 10, windowMs: 10_000 }
};

/**
 * Fixed-window per-route buckets, keyed like Discord's: the route template plus its
 * major parameter (channel, guild or webhook), so two channels do not share a bucket.
 */
export class RateLimiter {
	readonly #limit: number;
	readonly #windowMs: number;
	readonly #sizes: Readonly<Record<string, BucketLimit>>;
	readonly #buckets = new Map<string, Bucket>();

	/** `sizes`: buckets that differ from `limit` per `windowMs`, by route key (Discord's by default). */
	constructor(limit = 50, windowMs = 1000, sizes: Readonly<Record<string, BucketLimit>> = ROUTE_LIMITS) {
		this.#limit = limit;
		this.#windowMs = windowMs;
		this.#sizes = sizes;
	}

	/** Opaque bucket hash for a route template, stable across restarts like Discord's. */
	static hash(routeKey: string): string {
		return createHash('sha1').update(routeKey).digest('hex').slice(0, 16);
	}

	/** Counts one request against `routeKey` + `majorParameter` and says whether it is over the limit. */
	take(routeKey: string, majorParameter: string, now = Date.now()): RateLimitResult {
		const size = this.#sizes[routeKey];
		const bucketName = size?.shares ?? routeKey;
		const key = `${bucketName}:${majorParameter}`;
		let bucket = this.#buckets.get(key);
		if (!bucket || bucket.resetAt <= now) {
			const limit = size?.limit ?? this.#limit;
			bucket = { remaining: limit, resetAt: now + (size?.windowMs ?? this.#windowMs), limit };
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
				'X-RateLimit-Limit': String(bucket.limit),
				'X-RateLimit-Remaining': String(bucket.remaining),
				'X-RateLimit-Reset': (bucket.resetAt / 1000).toFixed(3),
				'X-RateLimit-Reset-After': resetAfter.toFixed(3),
				'X-RateLimit-Bucket': RateLimiter.hash(bucketName)
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
