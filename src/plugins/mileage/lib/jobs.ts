import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What a background job does. */
export type JobKind = 'import' | 'tierSync';

/** Where a job is: `interrupted` when its process stopped (shutdown, crash) before it finished. */
export type JobState = 'running' | 'done' | 'failed' | 'interrupted';

/** A job as the API shows it. `done` counts work already committed (for an import: its first `done` rows). */
export interface JobView {
	id: string;
	kind: JobKind;
	state: JobState;
	done: number;
	total: number;
	result: Record<string, unknown> | null;
	error: string | null;
	startedAt: string;
	updatedAt: string;
}

/** Defaults of {@link MileageJobs}, in one place. */
export const DefaultJobOptions = {
	keyPrefix: 'facet:mileage:',
	/** How long a job's record is kept after its last update. */
	ttlSeconds: 24 * 60 * 60,
	/** The per-guild, per-kind lock expires this long after the last progress (a crashed process frees it). */
	lockSeconds: 10 * 60,
	/** A `running` job whose record was not updated for this long is shown as `interrupted`. */
	staleMs: 5 * 60 * 1000,
	/** Job ids listed per guild. */
	keepPerGuild: 20
};

/** Options of {@link MileageJobs}. */
export type JobOptions = typeof DefaultJobOptions & {
	/** True once the process is shutting down: a job stops at its next progress report. */
	isClosing: () => boolean;
	/** Keeps the job's promise tracked so a shutdown waits for the chunk in flight. */
	track: <T>(promise: Promise<T>) => Promise<T>;
};

/** Thrown from a progress report when the process is shutting down. */
class JobInterrupted extends Error {}

/** Reports progress; rejects (stopping the job between chunks) when the process is shutting down. */
export type Progress = (done: number, total?: number) => Promise<void>;

/**
 * Background jobs of the mileage routes (CSV import, tier sync) with their progress in Redis, so any API process
 * can answer `GET …/jobs/:job` and the dashboard can poll it. One job of a kind runs per guild at a time (a Redis
 * lock, freed when the job ends or, after a crash, when it expires).
 */
export class MileageJobs {
	readonly redis: Redis;
	readonly #logger: Logger;
	readonly #options: JobOptions;
	readonly #running = new Set<Promise<unknown>>();

	public constructor(redis: Redis, logger: Logger, options: Partial<JobOptions> = {}) {
		this.redis = redis;
		this.#logger = logger;
		this.#options = { ...DefaultJobOptions, isClosing: () => false, track: (promise) => promise, ...options };
	}

	#jobKey = (guildId: string, id: string) => `${this.#options.keyPrefix}job:${guildId}:${id}`;
	#listKey = (guildId: string) => `${this.#options.keyPrefix}jobs:${guildId}`;
	#lockKey = (guildId: string, kind: JobKind) => `${this.#options.keyPrefix}lock:${kind}:${guildId}`;

	async #save(guildId: string, view: JobView): Promise<void> {
		await this.redis.set(this.#jobKey(guildId, view.id), JSON.stringify(view), 'EX', this.#options.ttlSeconds);
	}

	/**
	 * Starts `task` in the background unless a job of the same kind runs in the guild (then `{ running }`).
	 * The task reports progress through its argument; what it resolves with becomes the job's `result`.
	 */
	public async start(
		guildId: string,
		kind: JobKind,
		total: number,
		task: (progress: Progress) => Promise<Record<string, unknown>>
	): Promise<{ job: JobView } | { running: JobView | null }> {
		const id = randomUUID();
		const lock = this.#lockKey(guildId, kind);
		const acquired = await this.redis.set(lock, id, 'EX', this.#options.lockSeconds, 'NX');
		if (acquired !== 'OK') {
			const holder = await this.redis.get(lock);
			return { running: holder ? await this.get(guildId, holder) : null };
		}
		const now = new Date().toISOString();
		const view: JobView = { id, kind, state: 'running', done: 0, total, result: null, error: null, startedAt: now, updatedAt: now };
		await this.#save(guildId, view);
		await this.redis
			.multi()
			.lpush(this.#listKey(guildId), id)
			.ltrim(this.#listKey(guildId), 0, this.#options.keepPerGuild - 1)
			.expire(this.#listKey(guildId), this.#options.ttlSeconds)
			.exec();

		const progress: Progress = async (done, newTotal) => {
			if (this.#options.isClosing()) throw new JobInterrupted('the process is shutting down');
			view.done = done;
			if (newTotal !== undefined) view.total = newTotal;
			view.updatedAt = new Date().toISOString();
			await this.#save(guildId, view);
			await this.redis.expire(lock, this.#options.lockSeconds);
		};
		const run = (async () => {
			try {
				view.result = await task(progress);
				view.state = 'done';
			} catch (error) {
				view.state = error instanceof JobInterrupted ? 'interrupted' : 'failed';
				view.error = error instanceof Error ? error.message : String(error);
				if (view.state === 'failed') this.#logger.error({ err: error, guildId, job: id, kind }, 'mileage job failed');
				else this.#logger.warn({ guildId, job: id, kind, done: view.done, total: view.total }, 'mileage job interrupted by shutdown');
			}
			view.updatedAt = new Date().toISOString();
			try {
				await this.#save(guildId, view);
				// Free the lock only if it is still ours.
				if ((await this.redis.get(lock)) === id) await this.redis.del(lock);
			} catch (error) {
				this.#logger.error({ err: error, guildId, job: id }, 'mileage job state could not be saved');
			}
		})();
		const tracked = this.#options.track(run);
		this.#running.add(tracked);
		void tracked.finally(() => this.#running.delete(tracked));
		return { job: { ...view } };
	}

	/** A job of the guild, or `null` (unknown, another guild's, or expired). */
	public async get(guildId: string, id: string): Promise<JobView | null> {
		const raw = await this.redis.get(this.#jobKey(guildId, id));
		if (!raw) return null;
		const view = JSON.parse(raw) as JobView;
		if (view.state === 'running' && Date.now() - Date.parse(view.updatedAt) > this.#options.staleMs) view.state = 'interrupted';
		return view;
	}

	/** The guild's recent jobs, newest first. */
	public async list(guildId: string): Promise<JobView[]> {
		const ids = await this.redis.lrange(this.#listKey(guildId), 0, -1);
		const views = await Promise.all(ids.map((id) => this.get(guildId, id)));
		return views.filter((view): view is JobView => view !== null);
	}

	/** Resolves when every job this process started has ended (tests; shutdown uses the work tracker). */
	public async settled(): Promise<void> {
		while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
	}
}
