import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DailiesIdentifiers } from '../errors.ts';
import { invalidPost, postError } from './errors.ts';
import type { PostSpec } from './input.ts';
import { type PostPayload, renderPost } from './render.ts';
import { advanceRotation, currentPrompt, type Random, type RotationState, startRotation } from './rotation.ts';
import { type LocalDate, nextOccurrence, type Occurrence, occurrencesBetween, type PostRule } from './schedule.ts';
import { PermanentSendError, type PostSender } from './sender.ts';

/** A daily post as stored. */
export interface DailyPost {
	id: number;
	guildId: string;
	channelId: string | null;
	minuteOfDay: number;
	weekdays: number;
	timeZone: string | null;
	message: string | null;
	prompts: string[] | null;
	rotation: RotationState | null;
	missedPolicy: 'late' | 'skip';
	graceMinutes: number;
	enabled: boolean;
	activeSince: Date;
	createdBy: string | null;
	createdAt: Date;
}

/** Final and in-flight states of a run. */
export type RunStatus = 'sending' | 'posted' | 'late' | 'skipped';

/** One run of a post (one local date). */
export interface PostRun {
	id: number;
	postId: number;
	localDate: LocalDate;
	scheduledAt: Date;
	status: RunStatus;
	channelId: string | null;
	messageId: string | null;
	promptIndex: number | null;
	reason: string | null;
	attempts: number;
	claimedAt: Date | null;
	leaseUntil: Date | null;
	finishedAt: Date | null;
}

/** What a tick did, for logs and tests. */
export interface TickResult {
	posted: number;
	late: number;
	skipped: number;
	/** Sends that failed in a way a later tick retries (same nonce). */
	retrying: number;
}

/** The guild-wide facts a post falls back on. */
export interface PostFacts {
	timeZone: string;
	dailyChannelId: string | null;
}

/** Tunables of {@link DailyPostService}; every one has a default in {@link DefaultDailyPostOptions}. */
export interface DailyPostOptions {
	/** Daily posts one guild may have (the host sets it with DAILIES_MAX_POSTS). */
	maxPostsPerGuild: number;
	/** A run claimed later than this after its time is recorded as `late`. */
	lateAfterMs: number;
	/** A claim older than this without an outcome (the worker died, the send failed) may be taken over. */
	leaseMs: number;
	/**
	 * How long after the first attempt a send is retried. Discord honours a nonce for a few minutes only, so past this
	 * a retry could post twice: the run is recorded as skipped instead.
	 */
	retryWindowMs: number;
	/** How far back missed runs are looked for (and recorded as skipped). */
	lookbackDays: number;
}

/** Defaults of {@link DailyPostOptions}. */
export const DefaultDailyPostOptions: Readonly<DailyPostOptions> = Object.freeze({
	maxPostsPerGuild: 20,
	lateAfterMs: 5 * 60_000,
	leaseMs: 60_000,
	retryWindowMs: 3 * 60_000,
	lookbackDays: 7
});

/** What the service is built from. */
export interface DailyPostDependencies {
	orm: MikroORM;
	sender: PostSender;
	/** The guild's time zone and daily channel (the core's guild facts in the bot). */
	facts(guildId: string): PostFacts;
	logger: Logger;
	/** Now; tests drive time through it. */
	clock?: () => Date;
	random?: Random;
}

/** The next run of a post as shown by list and preview. */
export interface NextRun extends Occurrence {
	timeZone: string;
	/** Already recorded for that date (skipped by `skip-next`), so not going out. */
	skipped: boolean;
}

/** What a preview shows: exactly the payload the sender will post, where, and when. */
export interface PostPreview {
	post: DailyPost;
	payload: PostPayload;
	channelId: string | null;
	next: Occurrence | null;
	timeZone: string;
}

const DAY_MS = 86_400_000;

/** The nonce of a run: stable for the (post, date) pair, at most 25 characters as Discord requires. */
export function runNonce(postId: number, localDate: LocalDate): string {
	return `dp${createHash('sha256').update(`${postId}:${localDate}`).digest('hex').slice(0, 22)}`;
}

/**
 * Daily posts: add, list, remove, preview, skip the next run, and the tick that posts what is due. Exactly once per
 * local date: a run row is claimed (`insert … on conflict do nothing` on post + date) before anything is sent, and
 * the send carries a nonce with `enforce_nonce`, so neither a second worker nor a retry posts twice.
 */
export class DailyPostService {
	readonly options: DailyPostOptions;
	/** Now; replaceable so tests can drive days in minutes. */
	public clock: () => Date;
	readonly #orm: MikroORM;
	readonly #sender: PostSender;
	readonly #facts: (guildId: string) => PostFacts;
	readonly #logger: Logger;
	readonly #random: Random;

	public constructor(deps: DailyPostDependencies, options: Partial<DailyPostOptions> = {}) {
		this.options = { ...DefaultDailyPostOptions, ...options };
		this.#orm = deps.orm;
		this.#sender = deps.sender;
		this.#facts = deps.facts;
		this.#logger = deps.logger;
		this.clock = deps.clock ?? (() => new Date());
		this.#random = deps.random ?? Math.random;
	}

	/** The zone a post's wall clock is read in. */
	public timeZoneOf(post: Pick<DailyPost, 'guildId' | 'timeZone'>): string {
		return post.timeZone ?? this.#facts(post.guildId).timeZone;
	}

	/** The channel a post goes to now, or null when neither it nor the guild names one. */
	public channelOf(post: Pick<DailyPost, 'guildId' | 'channelId'>): string | null {
		return post.channelId ?? this.#facts(post.guildId).dailyChannelId;
	}

	/** Saves a post (the caller checked the channel is one the bot can post in). Refuses past the guild's limit. */
	public async add(guildId: string, spec: PostSpec, actorId: string | null): Promise<DailyPost> {
		this.#requireChannel(guildId, spec);
		const now = this.clock();
		const rotation = spec.prompts ? startRotation(spec.prompts.length, this.#random) : null;
		return this.#orm.em.fork().transactional(async (tx) => {
			// One writer per guild at a time, so two concurrent adds cannot both pass the limit.
			await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`dailies_post:${guildId}`]);
			const [count] = await tx.execute<{ n: string }[]>('select count(*) as n from dailies_post where guild_id = ?', [guildId]);
			const limit = this.options.maxPostsPerGuild;
			if (Number(count?.n ?? 0) >= limit) {
				throw postError(
					DailiesIdentifiers.PostLimit,
					`This server has ${limit} daily posts, the most this bot's host allows (DAILIES_MAX_POSTS): remove one first.`,
					{ limit }
				);
			}
			const [row] = await tx.execute<PostRow[]>(
				`insert into dailies_post (guild_id, channel_id, minute_of_day, weekdays, time_zone, message, prompts, rotation_order,
				 rotation_position, missed_policy, grace_minutes, enabled, active_since, created_by, created_at)
				 values (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?) returning *`,
				[
					guildId,
					spec.channelId,
					spec.minuteOfDay,
					spec.weekdays,
					spec.timeZone,
					spec.message,
					spec.prompts ? JSON.stringify(spec.prompts) : null,
					rotation ? JSON.stringify(rotation.order) : null,
					spec.missedPolicy,
					spec.graceMinutes,
					spec.enabled,
					now,
					actorId,
					now
				]
			);
			return toPost(row!);
		});
	}

	/**
	 * Replaces what a post says and when (everything but its switch). Runs already recorded stay, so a date that was
	 * posted is not posted again at the new time; new prompts start a new rotation. `spec.enabled` is not used (the
	 * switch is {@link setEnabled}'s).
	 */
	public async update(guildId: string, postId: number, spec: PostSpec): Promise<DailyPost> {
		this.#requireChannel(guildId, spec);
		const post = await this.get(guildId, postId);
		const samePrompts = JSON.stringify(spec.prompts) === JSON.stringify(post.prompts);
		const rotation = spec.prompts
			? samePrompts && post.rotation
				? post.rotation
				: startRotation(spec.prompts.length, this.#random)
			: null;
		const [row] = await this.#em().execute<PostRow[]>(
			`update dailies_post set channel_id = ?, minute_of_day = ?, weekdays = ?, time_zone = ?, message = ?, prompts = ?,
			 rotation_order = ?, rotation_position = ?, missed_policy = ?, grace_minutes = ? where guild_id = ? and id = ? returning *`,
			[
				spec.channelId,
				spec.minuteOfDay,
				spec.weekdays,
				spec.timeZone,
				spec.message,
				spec.prompts ? JSON.stringify(spec.prompts) : null,
				rotation ? JSON.stringify(rotation.order) : null,
				rotation?.position ?? 0,
				spec.missedPolicy,
				spec.graceMinutes,
				guildId,
				post.id
			]
		);
		return toPost(row!);
	}

	/**
	 * What a post not saved yet would send and when: the renderer the sender uses, and the first run after now (a
	 * rotation's first prompt is drawn when it is saved, so prompts preview the first one listed).
	 */
	public draftPreview(guildId: string, spec: PostSpec): Omit<PostPreview, 'post'> {
		const timeZone = spec.timeZone ?? this.#facts(guildId).timeZone;
		return {
			payload: renderPost(spec, spec.prompts ? 0 : null),
			channelId: spec.channelId ?? this.#facts(guildId).dailyChannelId,
			next: spec.enabled ? nextOccurrence(ruleOf(spec, timeZone), this.clock()) : null,
			timeZone
		};
	}

	/** Refuses a post without a channel while the guild has no daily channel to fall back on. */
	#requireChannel(guildId: string, spec: PostSpec): void {
		if (spec.channelId === null && this.#facts(guildId).dailyChannelId === null) {
			throw invalidPost(
				{ channelId: ['is required while the server has no daily channel'] },
				'This server has no daily channel: give the post a channel, or set one with `/config set daily-channel`.'
			);
		}
	}

	/** The guild's posts, oldest first. */
	public async list(guildId: string): Promise<DailyPost[]> {
		const rows = await this.#em().execute<PostRow[]>('select * from dailies_post where guild_id = ? order by id', [guildId]);
		return rows.map(toPost);
	}

	/** One of the guild's posts; {@link DailiesIdentifiers.UnknownPost} when it is not there. */
	public async get(guildId: string, postId: number): Promise<DailyPost> {
		const [row] = Number.isSafeInteger(postId)
			? await this.#em().execute<PostRow[]>('select * from dailies_post where guild_id = ? and id = ?', [guildId, postId])
			: [];
		if (!row)
			throw postError(DailiesIdentifiers.UnknownPost, `There is no daily post #${postId} in this server.`, {
				postId: String(postId)
			});
		return toPost(row);
	}

	/** Deletes a post and its runs. */
	public async remove(guildId: string, postId: number): Promise<DailyPost> {
		const post = await this.get(guildId, postId);
		await this.#em().execute('delete from dailies_post where guild_id = ? and id = ?', [guildId, postId]);
		return post;
	}

	/**
	 * Switches a post on or off. Switching on starts it afresh from now: runs due while it was off are not its own, so
	 * they are neither posted late nor recorded as skipped.
	 */
	public async setEnabled(guildId: string, postId: number, enabled: boolean): Promise<DailyPost> {
		const post = await this.get(guildId, postId);
		if (post.enabled === enabled) return post;
		const [row] = await this.#em().execute<PostRow[]>(
			'update dailies_post set enabled = ?, active_since = case when ? then ? else active_since end where guild_id = ? and id = ? returning *',
			[enabled, enabled, this.clock(), guildId, postId]
		);
		return toPost(row!);
	}

	/** Recent runs of a post, newest first. */
	public async runs(guildId: string, postId: number, limit = 20): Promise<PostRun[]> {
		await this.get(guildId, postId);
		const rows = await this.#em().execute<RunRow[]>('select * from dailies_post_run where post_id = ? order by local_date desc limit ?', [
			postId,
			limit
		]);
		return rows.map(toRun);
	}

	/** The next run of a post that is going out: the first date after now with no run recorded yet. */
	public async nextRun(post: DailyPost): Promise<NextRun | null> {
		const timeZone = this.timeZoneOf(post);
		const rule = ruleOf(post, timeZone);
		const recorded = new Set(
			(
				await this.#em().execute<{ local_date: string }[]>(
					'select local_date from dailies_post_run where post_id = ? and scheduled_at > ?',
					[post.id, this.clock()]
				)
			).map((row) => row.local_date)
		);
		let cursor = this.clock();
		for (let i = 0; i < 400; i++) {
			const next = nextOccurrence(rule, cursor);
			if (!next) return null;
			if (!recorded.has(next.localDate)) return { ...next, timeZone, skipped: false };
			cursor = next.at;
		}
		return null;
	}

	/** Exactly what the next run will post (one renderer for both), where and when. */
	public async preview(guildId: string, postId: number): Promise<PostPreview> {
		const post = await this.get(guildId, postId);
		const next = await this.nextRun(post);
		return {
			post,
			payload: this.#payloadFor(post, this.#promptFor(post).index),
			channelId: this.channelOf(post),
			next,
			timeZone: this.timeZoneOf(post)
		};
	}

	/** Records the next run as skipped, so it is not posted; returns the skipped occurrence. */
	public async skipNext(guildId: string, postId: number, actorId: string | null): Promise<Occurrence> {
		const post = await this.get(guildId, postId);
		for (let attempt = 0; attempt < 5; attempt++) {
			const next = await this.nextRun(post);
			if (!next)
				throw postError(DailiesIdentifiers.NothingToSkip, `Daily post #${postId} has no run ahead to skip.`, {
					postId: String(postId)
				});
			const inserted = await this.#insertRun(this.#em(), post, next, 'skipped', {
				reason: actorId ? `skipped by <@${actorId}> (skip-next)` : 'skipped (skip-next)',
				finishedAt: this.clock()
			});
			if (inserted) return { localDate: next.localDate, at: next.at };
			// A worker claimed that date in between: skip the one after it.
		}
		throw postError(DailiesIdentifiers.NothingToSkip, `Daily post #${postId} has no run ahead to skip.`, {
			postId: String(postId)
		});
	}

	/**
	 * Posts what is due in the given guilds (the scheduled task passes the guilds where the plugin is on): claims each
	 * due run, sends it, records the outcome; records runs missed beyond the grace window as skipped; retries claims
	 * whose send failed or whose worker died, with the same nonce.
	 */
	public async tick(guildIds: readonly string[]): Promise<TickResult> {
		const result: TickResult = { posted: 0, late: 0, skipped: 0, retrying: 0 };
		if (guildIds.length === 0) return result;
		const em = this.#em();
		const posts = (
			await em.execute<PostRow[]>('select * from dailies_post where enabled and guild_id in (?) order by id', [[...guildIds]])
		).map(toPost);
		if (posts.length === 0) return result;
		const now = this.clock();
		const since = new Date(now.getTime() - this.options.lookbackDays * DAY_MS);
		const known = new Map<string, PostRun>();
		for (const row of await em.execute<RunRow[]>('select * from dailies_post_run where post_id in (?) and scheduled_at > ?', [
			posts.map((post) => post.id),
			new Date(since.getTime() - DAY_MS)
		])) {
			const run = toRun(row);
			known.set(`${run.postId}:${run.localDate}`, run);
		}
		for (const post of posts) {
			try {
				await this.#tickPost(em, post, now, since, known, result);
			} catch (error) {
				this.#logger.error({ err: error, guildId: post.guildId, postId: post.id }, 'daily post tick failed');
			}
		}
		return result;
	}

	async #tickPost(em: EntityManager, post: DailyPost, now: Date, since: Date, known: Map<string, PostRun>, result: TickResult) {
		const timeZone = this.timeZoneOf(post);
		const from = new Date(Math.max(post.activeSince.getTime(), since.getTime()));
		const due = occurrencesBetween(ruleOf(post, timeZone), from, now);
		const graceMs = post.missedPolicy === 'skip' ? this.options.lateAfterMs : post.graceMinutes * 60_000;
		for (const [i, occurrence] of due.entries()) {
			const run = known.get(`${post.id}:${occurrence.localDate}`);
			if (run) {
				if (run.status === 'sending') await this.#retry(em, post, run, now, graceMs, result);
				continue;
			}
			const overdue = now.getTime() - occurrence.at.getTime();
			const latest = i === due.length - 1;
			if (!latest || overdue > graceMs) {
				const reason = !latest
					? 'missed while the bot was not running; a later run was due by the time it came back'
					: post.missedPolicy === 'skip'
						? `missed by ${minutes(overdue)} while the bot was not running; this post never posts late`
						: `missed by ${minutes(overdue)} while the bot was not running, past the ${minutes(graceMs)} grace window`;
				if (await this.#insertRun(em, post, occurrence, 'skipped', { reason, finishedAt: now })) result.skipped++;
				continue;
			}
			const promptIndex = post.prompts ? this.#promptFor(post).index : null;
			const claimed = await this.#insertRun(em, post, occurrence, 'sending', {
				promptIndex,
				claimedAt: now,
				leaseUntil: new Date(now.getTime() + this.options.leaseMs),
				attempts: 1
			});
			// Another worker claimed this date first: it sends, we do not.
			if (!claimed) continue;
			await this.#send(em, post, claimed, now, result);
		}
	}

	/** Takes over a claim whose send failed or whose worker died, within the nonce's window; else gives it up. */
	async #retry(em: EntityManager, post: DailyPost, run: PostRun, now: Date, graceMs: number, result: TickResult) {
		if (run.leaseUntil && run.leaseUntil.getTime() > now.getTime()) return;
		const firstAttempt = (run.claimedAt ?? now).getTime();
		const tooLate = now.getTime() - firstAttempt > this.options.retryWindowMs || now.getTime() - run.scheduledAt.getTime() > graceMs;
		if (tooLate) {
			const rows = await em.execute<RunRow[]>(
				`update dailies_post_run set status = 'skipped', finished_at = ?, reason = ? where id = ? and status = 'sending' returning *`,
				[
					now,
					`the send could not be confirmed within ${minutes(this.options.retryWindowMs)}; not retried, so it cannot post twice (${run.reason ?? 'no answer'})`.slice(
						0,
						300
					),
					run.id
				]
			);
			if (rows.length > 0) result.skipped++;
			return;
		}
		// Compare-and-set on the lease: of two workers taking over, one wins.
		const rows = await em.execute<RunRow[]>(
			`update dailies_post_run set lease_until = ?, attempts = attempts + 1
			 where id = ? and status = 'sending' and lease_until is not distinct from ? returning *`,
			[new Date(now.getTime() + this.options.leaseMs), run.id, run.leaseUntil]
		);
		if (rows.length === 0) return;
		await this.#send(em, post, toRun(rows[0]!), now, result);
	}

	async #send(em: EntityManager, post: DailyPost, run: PostRun, now: Date, result: TickResult) {
		const channelId = this.channelOf(post);
		if (!channelId) {
			await this.#finish(em, run, 'skipped', { reason: 'no channel: the post has none and the server has no daily channel' });
			result.skipped++;
			return;
		}
		const payload = this.#payloadFor(post, run.promptIndex);
		const nonce = runNonce(post.id, run.localDate);
		try {
			const { messageId } = await this.#sender.send(channelId, payload, nonce);
			const late = (run.claimedAt ?? now).getTime() - run.scheduledAt.getTime() > this.options.lateAfterMs;
			// One transaction: a crash in between must not record the post without moving the rotation on (or back).
			await em.transactional(async (tx) => {
				await this.#finish(tx as EntityManager, run, late ? 'late' : 'posted', { channelId, messageId });
				if (post.prompts && run.promptIndex !== null) await this.#advance(tx as EntityManager, post);
			});
			if (late) result.late++;
			else result.posted++;
		} catch (error) {
			if (error instanceof PermanentSendError) {
				await this.#finish(em, run, 'skipped', { channelId, reason: `not posted: ${error.message}` });
				result.skipped++;
				this.#logger.warn({ guildId: post.guildId, postId: post.id, channelId, code: error.code }, 'daily post not posted');
				return;
			}
			// Left as `sending`: once the lease runs out a tick retries with the same nonce.
			const message = error instanceof Error ? error.message : String(error);
			await em.execute('update dailies_post_run set reason = ? where id = ?', [
				`attempt ${run.attempts} failed: ${message}`.slice(0, 300),
				run.id
			]);
			result.retrying++;
			this.#logger.warn(
				{ err: error, guildId: post.guildId, postId: post.id, localDate: run.localDate },
				'daily post send failed; will retry'
			);
		}
	}

	async #finish(
		em: EntityManager,
		run: PostRun,
		status: Exclude<RunStatus, 'sending'>,
		fields: { channelId?: string; messageId?: string; reason?: string }
	) {
		await em.execute(
			`update dailies_post_run set status = ?, channel_id = coalesce(?, channel_id), message_id = ?, reason = ?, finished_at = ? where id = ?`,
			[status, fields.channelId ?? null, fields.messageId ?? null, fields.reason ?? null, this.clock(), run.id]
		);
	}

	/** Moves the rotation past the prompt just posted (a new shuffled cycle once all were posted). */
	async #advance(em: EntityManager, post: DailyPost) {
		const count = post.prompts!.length;
		const next = advanceRotation(post.rotation ?? { order: [], position: 0 }, count, this.#random);
		await em.execute('update dailies_post set rotation_order = ?, rotation_position = ? where id = ?', [
			JSON.stringify(next.order),
			next.position,
			post.id
		]);
		post.rotation = next;
	}

	#promptFor(post: DailyPost): { index: number | null } {
		if (!post.prompts) return { index: null };
		return { index: currentPrompt(post.rotation ?? { order: [], position: 0 }, post.prompts.length, this.#random).index };
	}

	#payloadFor(post: DailyPost, promptIndex: number | null): PostPayload {
		return renderPost(post, promptIndex);
	}

	/** Inserts a run unless that date has one; returns it when this call inserted it. */
	async #insertRun(
		em: EntityManager,
		post: DailyPost,
		occurrence: Occurrence,
		status: RunStatus,
		fields: { reason?: string; promptIndex?: number | null; claimedAt?: Date; leaseUntil?: Date; attempts?: number; finishedAt?: Date }
	): Promise<PostRun | null> {
		const rows = await em.execute<RunRow[]>(
			`insert into dailies_post_run (post_id, guild_id, local_date, scheduled_at, status, nonce, prompt_index, reason, attempts, claimed_at, lease_until, finished_at)
			 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (post_id, local_date) do nothing returning *`,
			[
				post.id,
				post.guildId,
				occurrence.localDate,
				occurrence.at,
				status,
				runNonce(post.id, occurrence.localDate),
				fields.promptIndex ?? null,
				fields.reason ?? null,
				fields.attempts ?? 0,
				fields.claimedAt ?? null,
				fields.leaseUntil ?? null,
				fields.finishedAt ?? null
			]
		);
		return rows[0] ? toRun(rows[0]) : null;
	}

	#em(): EntityManager {
		return this.#orm.em.fork() as EntityManager;
	}
}

/** The schedule of a post in a zone. */
export function ruleOf(post: Pick<DailyPost, 'minuteOfDay' | 'weekdays'>, timeZone: string): PostRule {
	return { minuteOfDay: post.minuteOfDay, weekdays: post.weekdays, timeZone };
}

function minutes(ms: number): string {
	const total = Math.round(ms / 60_000);
	if (total < 60) return `${total} min`;
	const hours = Math.floor(total / 60);
	const rest = total % 60;
	return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

interface PostRow {
	id: number;
	guild_id: string;
	channel_id: string | null;
	minute_of_day: number;
	weekdays: number;
	time_zone: string | null;
	message: string | null;
	prompts: string[] | string | null;
	rotation_order: number[] | string | null;
	rotation_position: number;
	missed_policy: string;
	grace_minutes: number;
	enabled: boolean;
	active_since: Date | string;
	created_by: string | null;
	created_at: Date | string;
}

interface RunRow {
	id: number | string;
	post_id: number;
	local_date: string;
	scheduled_at: Date | string;
	status: RunStatus;
	channel_id: string | null;
	message_id: string | null;
	prompt_index: number | null;
	reason: string | null;
	attempts: number;
	claimed_at: Date | string | null;
	lease_until: Date | string | null;
	finished_at: Date | string | null;
}

const json = <T>(value: T | string | null): T | null => (typeof value === 'string' ? (JSON.parse(value) as T) : value);
const date = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const maybeDate = (value: Date | string | null): Date | null => (value === null ? null : date(value));

function toPost(row: PostRow): DailyPost {
	const order = json<number[]>(row.rotation_order);
	return {
		id: Number(row.id),
		guildId: row.guild_id,
		channelId: row.channel_id,
		minuteOfDay: Number(row.minute_of_day),
		weekdays: Number(row.weekdays),
		timeZone: row.time_zone,
		message: row.message,
		prompts: json<string[]>(row.prompts),
		rotation: order ? { order, position: Number(row.rotation_position) } : null,
		missedPolicy: row.missed_policy === 'skip' ? 'skip' : 'late',
		graceMinutes: Number(row.grace_minutes),
		enabled: row.enabled,
		activeSince: date(row.active_since),
		createdBy: row.created_by,
		createdAt: date(row.created_at)
	};
}

function toRun(row: RunRow): PostRun {
	return {
		id: Number(row.id),
		postId: Number(row.post_id),
		localDate: row.local_date,
		scheduledAt: date(row.scheduled_at),
		status: row.status,
		channelId: row.channel_id,
		messageId: row.message_id,
		promptIndex: row.prompt_index === null ? null : Number(row.prompt_index),
		reason: row.reason,
		attempts: Number(row.attempts),
		claimedAt: maybeDate(row.claimed_at),
		leaseUntil: maybeDate(row.lease_until),
		finishedAt: maybeDate(row.finished_at)
	};
}
