import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IIdentifyThrottler } from 'discord.js';
import type { Logger } from 'pino';
import type { GatewayManager } from './gateway-sessions.ts';
import { metrics } from './metrics.ts';
import type { BoundedRedis } from './redis.ts';

/** Defaults of {@link SessionStartGuard}. */
export const DefaultSessionStartGuardOptions = {
	/** Fewer session starts remaining than this and no IDENTIFY is sent (env `GATEWAY_MIN_SESSION_STARTS`). */
	minRemaining: 10,
	/** Longest single wait before the limit is asked again (Discord's `reset_after` can be a day). */
	maxWaitMs: 60_000,
	/** Discord allows one IDENTIFY per rate-limit bucket every 5 seconds. */
	bucketMs: 5_000,
	/** How often a shard waiting for its bucket asks again. */
	pollMs: 250
};

const refusals = metrics.counter(
	'facet_gateway_identify_refusals_total',
	'IDENTIFYs held back because Discord reported too few remaining session starts'
);

/**
 * The identify throttler of every bot process (discord.js `ws.buildIdentifyThrottler`): before each IDENTIFY (never
 * before a RESUME, which costs no session start) it asks `GET /gateway/bot` how many session starts remain and, below
 * the threshold, refuses to identify — it logs why and waits for Discord's reset instead of spending the last starts
 * (running out locks the token out for up to a day). Identifies then follow `max_concurrency` across every process of
 * the deployment: one per bucket (`shard_id % max_concurrency`) per 5 s, claimed with `SET NX PX` in Redis.
 */
export class SessionStartGuard implements IIdentifyThrottler {
	readonly #manager: GatewayManager;
	readonly #redis: BoundedRedis;
	readonly #logger: Logger;
	readonly #keyPrefix: string;
	readonly #options: typeof DefaultSessionStartGuardOptions;

	public constructor(
		manager: GatewayManager,
		redis: BoundedRedis,
		logger: Logger,
		options: { keyPrefix: string } & Partial<typeof DefaultSessionStartGuardOptions>
	) {
		this.#manager = manager;
		this.#redis = redis;
		this.#logger = logger;
		this.#keyPrefix = options.keyPrefix;
		this.#options = { ...DefaultSessionStartGuardOptions, ...options };
	}

	public async waitForIdentify(shardId: number, signal: AbortSignal): Promise<void> {
		let maxConcurrency = 1;
		for (;;) {
			const { session_start_limit: limit } = await this.#manager.fetchGatewayInformation(true);
			maxConcurrency = Math.max(1, limit.max_concurrency);
			if (limit.remaining >= this.#options.minRemaining) break;
			refusals.inc();
			const waitMs = Math.max(1_000, Math.min(limit.reset_after, this.#options.maxWaitMs));
			this.#logger.error(
				{
					shardId,
					remaining: limit.remaining,
					total: limit.total,
					minRemaining: this.#options.minRemaining,
					resetAfterMs: limit.reset_after
				},
				`refusing to IDENTIFY shard ${shardId}: ${limit.remaining} session starts remain, below GATEWAY_MIN_SESSION_STARTS=${this.#options.minRemaining}; waiting for Discord's reset (asking again in ${Math.round(waitMs / 1000)} s)`
			);
			await sleep(waitMs, undefined, { signal });
		}
		const key = `${this.#keyPrefix}:identify:${shardId % maxConcurrency}`;
		const token = randomUUID();
		while ((await this.#redis.set(key, token, 'PX', this.#options.bucketMs, 'NX')) !== 'OK') {
			await sleep(this.#options.pollMs, undefined, { signal });
		}
	}
}
