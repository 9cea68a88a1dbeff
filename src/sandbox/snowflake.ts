/** Discord's epoch (2015-01-01T00:00:00Z) in milliseconds, the zero point of every snowflake. */
export const DISCORD_EPOCH = 1_420_070_400_000n;

/** Builds a snowflake from a Unix timestamp in milliseconds and a 12-bit increment (worker/process bits stay 0). */
export function snowflakeAt(timestampMs: number | bigint, increment = 0): string {
	const ts = BigInt(timestampMs) - DISCORD_EPOCH;
	return ((ts << 22n) | BigInt(increment & 0xfff)).toString();
}

/** Unix timestamp in milliseconds encoded in a snowflake. */
export function snowflakeTimestamp(id: string): number {
	return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** The shard a guild belongs to, with Discord's formula `(guild_id >> 22) % num_shards`. */
export function shardOf(guildId: string, shardCount: number): number {
	return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** True if `value` looks like a snowflake (a decimal string of a 64-bit unsigned integer). */
export function isSnowflake(value: unknown): value is string {
	return typeof value === 'string' && /^(0|[1-9]\d{0,19})$/.test(value) && BigInt(value) < 1n << 64n;
}

/**
 * Hands out strictly increasing snowflakes for runtime objects (messages, interactions, commands).
 * Ordering matters: message pagination (`before`/`after`) and resume replay compare ids.
 */
export class SnowflakeGenerator {
	#lastMs = 0;
	#increment = 0;

	/** Next id, never lower than any id handed out before by this generator. */
	next(): string {
		const now = Date.now();
		if (now > this.#lastMs) {
			this.#lastMs = now;
			this.#increment = 0;
		} else if (++this.#increment > 0xfff) {
			// 4096 ids in one millisecond: borrow the next millisecond rather than wrap around.
			this.#lastMs++;
			this.#increment = 0;
		}
		return snowflakeAt(this.#lastMs, this.#increment);
	}
}
