import type { Redis } from 'ioredis';

/** The outcome of one {@link RateLimiter.consume}. */
export interface RateLimitResult {
	allowed: boolean;
	limit: number;
	remaining: number;
	/** Milliseconds until the window resets. */
	resetMs: number;
}

// One round trip: count the request and read the window's remaining time atomically.
const CONSUME_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/**
 * Fixed-window request counter in Redis, so a limit holds across every API process.
 * Keys are opaque (the caller hashes session ids and addresses).
 */
export class RateLimiter {
	readonly #redis: Redis;
	readonly #prefix: string;
	readonly max: number;
	readonly windowMs: number;

	public constructor(redis: Redis, prefix: string, options: { max: number; windowSeconds: number }) {
		this.#redis = redis;
		this.#prefix = `${prefix}ratelimit:`;
		this.max = options.max;
		this.windowMs = options.windowSeconds * 1000;
	}

	/** The Redis key of a bucket; exported through the instance so tests can inspect or fill a bucket. */
	public key(bucket: string): string {
		return `${this.#prefix}${bucket}`;
	}

	/** Counts one request against `bucket`. */
	public async consume(bucket: string): Promise<RateLimitResult> {
		const [count, ttl] = (await this.#redis.eval(CONSUME_SCRIPT, 1, this.key(bucket), this.windowMs)) as [number, number];
		return { allowed: count <= this.max, limit: this.max, remaining: Math.max(0, this.max - count), resetMs: ttl };
	}
}
