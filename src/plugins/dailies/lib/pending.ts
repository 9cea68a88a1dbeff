import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FeedInput } from './service.ts';

/** How long an add waits for its Add / Cancel button. */
export const PENDING_ADD_SECONDS = 15 * 60;

/** Custom id prefix of the add confirmation buttons: `dailies-feed-add:<confirm|cancel>:<token>`. */
export const PENDING_ADD_PREFIX = 'dailies-feed-add';

/**
 * Adds waiting for their confirmation, in Redis: the button may be pressed on another process than the one that
 * showed the preview. Keys are namespaced by database, like the rest of the deployment's state.
 */
export class PendingAdds {
	readonly #redis: Redis;
	readonly #prefix: string;

	public constructor(redis: Redis, namespace: string) {
		this.#redis = redis;
		this.#prefix = `facet:dailies:pending-add:${namespace}:`;
	}

	/** Stores an add and answers its token. */
	public async put(guildId: string, userId: string, input: FeedInput): Promise<string> {
		const token = randomUUID().replace(/-/g, '');
		await this.#redis.set(`${this.#prefix}${token}`, JSON.stringify({ guildId, userId, input }), 'EX', PENDING_ADD_SECONDS);
		return token;
	}

	/** Takes an add (once: a second press finds nothing). */
	public async take(token: string): Promise<{ guildId: string; userId: string; input: FeedInput } | null> {
		const raw = await this.#redis.getdel(`${this.#prefix}${token}`);
		return raw ? (JSON.parse(raw) as { guildId: string; userId: string; input: FeedInput }) : null;
	}
}
