import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { addErrorMapper } from './errors.ts';
import { onFirstUse } from './on-first-use.ts';

/** Defaults of the Redis connection. */
export const DefaultRedisOptions = {
	/** Commands waiting while disconnected; past it a command fails at once instead of piling up. */
	maxOfflineQueue: 1_000,
	connectTimeoutMs: 3_000,
	/**
	 * Longest wait for one command's answer, queued while disconnected included: an API request (session, rate limit)
	 * during an outage fails within this instead of riding ioredis' reconnect retries (up to ~10 s). Leaves room for a
	 * reconnect (retries every 0.2–5 s) to carry a command queued just before Redis came back.
	 */
	commandTimeoutMs: 1_500,
	maxRetryDelayMs: 5_000
};

/** Thrown when Redis cannot be reached at start; its message tells the host what to do. */
export class RedisUnavailableError extends Error {
	public constructor(url: string, cause: string) {
		super(
			`Redis is not reachable at REDIS_URL=${redactUrl(url)} (${cause}).\n` +
				'  Start Redis (for example: redis-server --daemonize yes --port 6379), or set REDIS_URL to a reachable server.'
		);
		this.name = 'RedisUnavailableError';
	}
}

function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.password) parsed.password = '***';
		return parsed.toString();
	} catch {
		return '(unparsable)';
	}
}

/** ioredis with a bounded offline queue: a long outage cannot grow memory without limit. */
export class BoundedRedis extends Redis {
	public maxOfflineQueue = DefaultRedisOptions.maxOfflineQueue;

	// biome-ignore lint/suspicious/noExplicitAny: ioredis' Command type is internal.
	public override sendCommand(command: any, stream?: any): any {
		const queue = (this as unknown as { offlineQueue?: { length: number } }).offlineQueue;
		// Only commands that would wait in the queue are bounded. While 'connect' (socket up, not yet ready) ioredis
		// writes its own handshake (ready check, AUTH, SELECT) at once: refusing those would keep it from recovering.
		const waits = this.status !== 'ready' && this.status !== 'connect' && stream === undefined;
		if (waits && queue && queue.length >= this.maxOfflineQueue) {
			command.reject(new Error(`Redis offline queue is full (${this.maxOfflineQueue} commands); command ${command.name} dropped`));
			return command.promise;
		}
		const result = super.sendCommand(command, stream);
		// A command that timed out while queued offline has failed for its caller: it must neither run later (on
		// reconnect ioredis would still send it) nor hold a place in the bounded queue.
		if (waits) command.promise.catch(() => this.#dropQueued(command));
		return result;
	}

	// biome-ignore lint/suspicious/noExplicitAny: ioredis' Command type is internal.
	#dropQueued(command: any): void {
		const queue = (
			this as unknown as { offlineQueue?: { length: number; peekAt(i: number): { command: unknown }; removeOne(i: number): void } }
		).offlineQueue;
		if (!queue) return;
		for (let i = 0; i < queue.length; i++) {
			if (queue.peekAt(i)?.command === command) {
				queue.removeOne(i);
				return;
			}
		}
	}
}

const QUEUE_STATE_ERROR = 'Command queue state error';

/** ioredis' internal reply router, which no public export reaches. */
const replyRouter = onFirstUse<{ default: { prototype: ReplyRouter & { facetGuarded?: true } } }>('ioredis/built/DataHandler.js');

interface ReplyRouter {
	redis: { commandQueue: { shift(): unknown }; emit(event: 'error', error: Error): boolean };
	shiftCommand(reply: unknown): unknown;
}

/**
 * ioredis (5.11) reports a reply that arrives with no command waiting for it ("Command queue state error") by
 * formatting `reply.toString()`: a nil reply makes that a TypeError thrown inside the socket's data handler, an
 * uncaught exception that ends the process with the mileage buffer unflushed (seen once in the Redis-paused outage
 * test; upstream redis/ioredis#1981 is open, no reproduction). Installed on ioredis' reply router once per process,
 * for every connection (BullMQ's too): the same error is emitted on the connection, as ioredis means to, and the
 * process lives.
 */
export function guardReplyWithoutCommand(): void {
	const router = replyRouter().default.prototype;
	if (router.facetGuarded) return;
	if (typeof router.shiftCommand !== 'function') {
		throw new Error("ioredis' DataHandler has no shiftCommand: ioredis changed; update guardReplyWithoutCommand");
	}
	router.facetGuarded = true;
	router.shiftCommand = function shiftCommand(this: ReplyRouter, reply: unknown) {
		const item = this.redis.commandQueue.shift();
		if (item) return item;
		const last = reply instanceof Error ? `Last error: ${reply.message}` : `Last reply: ${String(reply)}`;
		this.redis.emit('error', new Error(`${QUEUE_STATE_ERROR}. If you can reproduce this, please report it. ${last}`));
		return null;
	};
}

/**
 * Connects to Redis and waits until it answers. Unreachable at start → one {@link RedisUnavailableError};
 * later outages are logged once when they begin and once when they end, not per retry.
 */
export async function connectRedis(url: string, logger: Logger, options: RedisOptions = {}): Promise<BoundedRedis> {
	registerRedisErrors();
	guardReplyWithoutCommand();
	let firstConnect = true;
	let down = false;
	const redis = new BoundedRedis(url, {
		lazyConnect: true,
		connectTimeout: DefaultRedisOptions.connectTimeoutMs,
		commandTimeout: DefaultRedisOptions.commandTimeoutMs,
		maxRetriesPerRequest: 3,
		// BullMQ and our pub/sub need a connection that survives outages: retry forever with a cap.
		retryStrategy: (times) => (firstConnect ? null : Math.min(times * 200, DefaultRedisOptions.maxRetryDelayMs)),
		...options
	});
	redis.on('error', (error: Error) => {
		// Not an outage (see guardReplyWithoutCommand): the connection stays up.
		if (error.message.startsWith(QUEUE_STATE_ERROR)) {
			logger.error({ err: { message: error.message } }, 'Redis sent a reply no command waited for');
			return;
		}
		if (firstConnect || down) return;
		down = true;
		logger.error({ err: { message: error.message } }, 'Redis connection lost; retrying');
	});
	redis.on('ready', () => {
		if (down) logger.info('Redis connection restored');
		down = false;
	});
	try {
		await redis.connect();
		await redis.ping();
	} catch (error) {
		redis.disconnect();
		throw new RedisUnavailableError(url, (error as Error).message);
	}
	firstConnect = false;
	return redis;
}

/** What ioredis says when a command got no answer within `commandTimeout` (it carries no code). */
const REDIS_TIMEOUT_MESSAGE = 'Command timed out';

let mapperRegistered = false;

/**
 * Makes a Redis command that timed out (see {@link DefaultRedisOptions.commandTimeoutMs}) render as the 503 of a
 * dependency that is down, not as a bug; the renderer already knows ioredis' other outage errors.
 */
function registerRedisErrors(): void {
	if (mapperRegistered) return;
	mapperRegistered = true;
	addErrorMapper((error) =>
		error instanceof Error && error.message === REDIS_TIMEOUT_MESSAGE
			? { identifier: 'service_unavailable', status: 503, message: 'Redis did not answer in time; try again shortly.' }
			: null
	);
}
