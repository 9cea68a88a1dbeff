import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { Counter, Gauge, register } from 'prom-client';
import type { MileageReason } from '../entities/MileageEvent.ts';
import { AwardBuffer, type Batch, type EventRef } from './buffer.ts';
import { MAX_ADJUST, MileageError, MileageIdentifiers } from './errors.ts';
import { hiddenAmong, isHidden, setHidden } from './privacy.ts';
import { loadRankTable, RankCache, type RankVersions } from './ranks.ts';
import {
	applyBatch,
	importEntries,
	type LeaderboardTarget,
	leaderboardPage,
	memberHistory,
	memberStanding,
	pointsPerDay,
	rebuildTotals,
	reverseEntry,
	type TotalChange,
	writeEntry
} from './store.ts';
import { VoiceClock } from './voice.ts';

/** Refuses points for a bot account (command and route alike): bots collect nothing and are never ranked. */
export function assertAdjustable(user: { id: string; bot: boolean }): void {
	if (user.bot)
		throw new MileageError(MileageIdentifiers.BotMember, `<@${user.id}> is a bot: bots do not collect points.`, { userId: user.id });
}

/** Defaults of the write path; one place, overridable per service (tests use short intervals). */
export const DefaultMileageOptions = {
	/** A flush every interval… */
	flushIntervalMs: 5_000,
	/** …or sooner when this many keys are open. */
	flushAtKeys: 5_000,
	/** Hard bound on keys held (open + awaiting retry); past it points are dropped, counted and logged. */
	maxKeys: 200_000,
	/** Retry backoff after a failed flush: base doubling up to max. */
	retryBaseMs: 250,
	retryMaxMs: 10_000,
	/** Length of a voice minute; only tests shorten it. */
	voiceMinuteMs: 60_000
};

/** Options of {@link MileageService}. */
export type MileageOptions = typeof DefaultMileageOptions & {
	/** Where batches that could not be written at shutdown are kept until the next start. */
	spillDir: string;
	/** The gateway event being handled (the core's gateway sessions), so the checkpoint waits for its points. */
	eventRef?: () => EventRef | null;
	/** Called after a batch is durable (written, or spilled to disk): the gateway checkpoint may advance now. */
	onDurable?: () => void;
};

function metric<T>(name: string, create: () => T): T {
	return (register.getSingleMetric(name) as T | undefined) ?? create();
}

const droppedPoints = metric(
	'facet_mileage_dropped_points_total',
	() => new Counter({ name: 'facet_mileage_dropped_points_total', help: 'Mileage points dropped because the award buffer was full' })
);
const flushes = metric(
	'facet_mileage_flushes_total',
	() => new Counter({ name: 'facet_mileage_flushes_total', help: 'Mileage flush attempts by result', labelNames: ['result'] })
);
/** The award buffers of this process's running services: the gauge below reads them when scraped, not per award. */
const liveBuffers = new Set<AwardBuffer>();
metric(
	'facet_mileage_buffer_keys',
	() =>
		new Gauge({
			name: 'facet_mileage_buffer_keys',
			help: 'Award keys held in memory (open and awaiting retry)',
			collect() {
				let keys = 0;
				for (const buffer of liveBuffers) keys += buffer.size;
				this.set(keys);
			}
		})
);

/**
 * The mileage write path and queries. Awards go to an in-memory buffer (no database query, no REST call per
 * event) and are flushed in one transaction per interval; a failed flush keeps its batch and retries it with
 * the same id (applied at most once); shutdown flushes, and whatever still cannot be written is spilled to
 * disk and applied on the next start.
 */
export class MileageService {
	readonly #orm: MikroORM;
	readonly #logger: Logger;
	readonly #options: MileageOptions;
	readonly buffer: AwardBuffer;
	readonly voice: VoiceClock;
	#timer: NodeJS.Timeout | null = null;
	#flushing: Promise<void> | null = null;
	#retryAt = 0;
	#failures = 0;
	#stopped = false;
	/** Called with the totals a flush or a write changed (tier roles follow them). */
	public onTotals: (changes: TotalChange[]) => void = () => undefined;
	/** Points per voice minute for a guild, or 0 when the plugin is off there. */
	public voiceRate: (guildId: string) => number = () => 0;
	/** Transactions committed by flushes (tests and benchmarks read it). */
	public flushTransactions = 0;
	/** Ranks per guild for leaderboards and standings, kept current with this process's writes (never a count per request). */
	readonly ranks: RankCache;

	public constructor(orm: MikroORM, logger: Logger, options: Partial<MileageOptions> & { spillDir: string; rankVersions?: RankVersions }) {
		this.#orm = orm;
		this.#logger = logger;
		this.#options = { ...DefaultMileageOptions, ...options };
		this.buffer = new AwardBuffer(this.#options.maxKeys);
		this.voice = new VoiceClock(this.#options.voiceMinuteMs);
		this.ranks = new RankCache((guildId) => loadRankTable(this.#orm.em.fork(), guildId), {
			...(options.rankVersions ? { versions: options.rankVersions } : {})
		});
	}

	/** Totals changed: the cached ranks of those guilds follow at once, and so do tier roles. */
	#totalsChanged(changes: TotalChange[]): void {
		this.ranks.apply(changes);
		this.onTotals(changes);
	}

	/** Applies batches spilled by an earlier shutdown, then starts the flush timer. */
	public async start(): Promise<void> {
		await this.#recoverSpilled();
		this.#timer = setInterval(() => void this.flush(), Math.min(this.#options.flushIntervalMs, 1_000));
		this.#timer.unref();
		liveBuffers.add(this.buffer);
	}

	/** Adds points for an activity. Never touches the database. */
	public award(guildId: string, userId: string, reason: MileageReason, points: number): void {
		if (points === 0 || this.#stopped) return;
		if (!this.buffer.add(guildId, userId, reason, points, this.#options.eventRef?.())) {
			droppedPoints.inc(points);
			// Loud on purpose, and rate-limited so an outage does not flood the log.
			if (this.buffer.droppedEvents === 1 || this.buffer.droppedEvents % 1_000 === 0) {
				this.#logger.error(
					{ dropped: this.buffer.droppedPoints, events: this.buffer.droppedEvents, maxKeys: this.#options.maxKeys },
					'mileage buffer full: points dropped'
				);
			}
		}
		if (this.buffer.openSize >= this.#options.flushAtKeys) void this.flush();
	}

	/**
	 * Seals what is open and applies every waiting batch in order; one flush at a time. `force` writes everything
	 * buffered at the call, even when a timer flush (which may not have sealed it) is already running.
	 */
	public flush(force = false): Promise<void> {
		if (this.#flushing) return force ? this.#flushing.then(() => this.flush(true)) : this.#flushing;
		const now = Date.now();
		const due = force || this.buffer.openSize >= this.#options.flushAtKeys || now - this.#lastSeal >= this.#options.flushIntervalMs;
		if (!due && this.buffer.sealed.length === 0) return Promise.resolve();
		if (!force && now < this.#retryAt) return Promise.resolve();
		this.#flushing = this.#flush(due).finally(() => {
			this.#flushing = null;
		});
		return this.#flushing;
	}

	#lastSeal = Date.now();

	async #flush(seal: boolean): Promise<void> {
		if (seal) {
			this.#creditVoice(Date.now());
			this.buffer.seal(Date.now());
			this.#lastSeal = Date.now();
		}
		for (const batch of [...this.buffer.sealed]) {
			batch.attempts++;
			try {
				const result = await applyBatch(this.#orm.em.fork(), batch);
				this.flushTransactions++;
				this.buffer.applied(batch);
				this.#options.onDurable?.();
				flushes.inc({ result: result.applied ? 'applied' : 'duplicate' });
				this.#failures = 0;
				this.#retryAt = 0;
				if (result.changes.length) this.#totalsChanged(result.changes);
			} catch (error) {
				this.#failures++;
				flushes.inc({ result: 'failed' });
				const wait = Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** Math.min(this.#failures - 1, 10));
				this.#retryAt = Date.now() + wait;
				if (this.#failures === 1 || this.#failures % 10 === 0) {
					this.#logger.warn(
						{ err: error, batch: batch.id, pending: this.buffer.sealed.length, retryInMs: wait },
						'mileage flush failed; batch kept for retry'
					);
				}
				break;
			}
		}
	}

	#creditVoice(now: number): void {
		for (const credit of this.voice.collect(now)) {
			const rate = this.voiceRate(credit.guildId);
			if (credit.minutes > 0 && rate > 0) this.buffer.add(credit.guildId, credit.userId, 'voice', credit.minutes * rate);
			if (credit.minutes > 0 || credit.channelId === null) {
				this.buffer.checkpoint({
					guildId: credit.guildId,
					userId: credit.userId,
					channelId: credit.channelId,
					creditedUntil: new Date(credit.until),
					remainderMs: credit.remainderMs
				});
			}
		}
	}

	/** Final flush at shutdown; batches that still fail are spilled to disk for the next start. */
	public async stop(deadlineMs = 6_000): Promise<void> {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
		await this.#flushing;
		this.#creditVoice(Date.now());
		this.#stopped = true;
		this.buffer.seal(Date.now());
		const deadline = Date.now() + deadlineMs;
		while (this.buffer.sealed.length > 0 && Date.now() < deadline) {
			this.#retryAt = 0;
			await this.#flush(false);
			if (this.buffer.sealed.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
		}
		if (this.buffer.sealed.length > 0) await this.#spill();
		liveBuffers.delete(this.buffer);
	}

	async #spill(): Promise<void> {
		await mkdir(this.#options.spillDir, { recursive: true });
		const spilled = [...this.buffer.sealed];
		for (const batch of spilled) {
			await writeFile(join(this.#options.spillDir, `${batch.id}.json`), JSON.stringify(batch));
		}
		this.#logger.error(
			{ batches: this.buffer.sealed.length, dir: this.#options.spillDir },
			'database unavailable at shutdown: mileage batches saved to disk, applied at next start'
		);
		// On disk is durable (the next start applies it): the gateway checkpoint no longer waits for these events.
		for (const batch of spilled) this.buffer.applied(batch);
		this.#options.onDurable?.();
	}

	async #recoverSpilled(): Promise<void> {
		let files: string[];
		try {
			files = (await readdir(this.#options.spillDir)).filter((file) => file.endsWith('.json'));
		} catch {
			return;
		}
		for (const file of files) {
			const path = join(this.#options.spillDir, file);
			const batch = JSON.parse(await readFile(path, 'utf8')) as Batch;
			batch.voice = batch.voice.map((voice) => ({ ...voice, creditedUntil: new Date(voice.creditedUntil) }));
			const result = await applyBatch(this.#orm.em.fork(), batch);
			await rm(path);
			this.#logger.info({ batch: batch.id, applied: result.applied }, 'spilled mileage batch recovered');
			if (result.changes.length) this.#totalsChanged(result.changes);
		}
	}

	/** Validates an admin amount: a non-zero integer within ±{@link MAX_ADJUST}. */
	public static checkAmount(points: unknown): number {
		if (typeof points !== 'number' || !Number.isInteger(points) || points === 0 || Math.abs(points) > MAX_ADJUST) {
			throw new MileageError(
				MileageIdentifiers.InvalidAmount,
				`Points must be a whole number between -${MAX_ADJUST} and ${MAX_ADJUST}, not 0.`,
				{ points }
			);
		}
		return points;
	}

	/** An admin adjustment, written at once with its reason. */
	public async adjust(guildId: string, userId: string, points: number, note: string, actorId: string) {
		MileageService.checkAmount(points);
		const result = await writeEntry(this.#orm.em.fork(), {
			guildId,
			userId,
			delta: points,
			reason: 'adjust',
			actorId,
			note: note.slice(0, 200)
		});
		this.#totalsChanged([result.change]);
		return result;
	}

	/** Reverses an event of this guild, once. */
	public async reverse(guildId: string, eventId: number, note: string, actorId: string) {
		const result = await reverseEntry(this.#orm.em.fork(), guildId, eventId, actorId, note.slice(0, 200));
		this.#totalsChanged([result.change]);
		return result;
	}

	/** Imports validated rows as `import` events. */
	public async import(
		guildId: string,
		rows: { userId: string; points: number; note: string | null }[],
		actorId: string,
		onProgress?: (done: number, total: number) => void | Promise<void>
	) {
		const result = await importEntries(this.#orm.em.fork(), guildId, rows, actorId, onProgress);
		this.#totalsChanged(result.changes);
		return result;
	}

	/** Recomputes the guild's totals from the ledger (after flushing what is buffered). */
	public async rebuild(guildId: string, onProgress?: (done: number, total: number) => void | Promise<void>) {
		await this.flush(true);
		return rebuildTotals(this.#orm.em.fork(), guildId, onProgress);
	}

	/** A member's points (stored plus not yet flushed) and rank. */
	public async standing(guildId: string, userId: string) {
		const stored = await memberStanding(this.#orm.em.fork(), guildId, userId, await this.ranks.get(guildId));
		return { ...stored, points: stored.points + this.buffer.pending(guildId, userId), pending: this.buffer.pending(guildId, userId) };
	}

	/** One page of the leaderboard: by page number, after a cursor, at a rank, or the page holding a member. */
	public async leaderboard(guildId: string, target: LeaderboardTarget, pageSize = 10) {
		return leaderboardPage(this.#orm.em.fork(), guildId, target, pageSize, await this.ranks.get(guildId));
	}

	/**
	 * One page of the public leaderboard: the managers' page `page` (same keyset read, same true ranks) without the
	 * members who hid themselves, so a page may hold fewer than `pageSize` rows. Only ids, points and ranks: the
	 * route decides what of it is shown.
	 */
	public async publicLeaderboard(guildId: string, page: number, pageSize: number) {
		const board = await this.leaderboard(guildId, page, pageSize);
		const hidden = await hiddenAmong(
			this.#orm.em.fork(),
			guildId,
			board.entries.map((entry) => entry.userId)
		);
		return { page: board.page, hasNext: board.next !== null, entries: board.entries.filter((entry) => !hidden.has(entry.userId)) };
	}

	/** Hides a member from (or shows them again on) the public leaderboard; true when that changed anything. */
	public setPublicHidden(guildId: string, userId: string, hidden: boolean): Promise<boolean> {
		return setHidden(this.#orm.em.fork(), guildId, userId, hidden);
	}

	/** True when the member hid themselves from the public leaderboard. */
	public isPublicHidden(guildId: string, userId: string): Promise<boolean> {
		return isHidden(this.#orm.em.fork(), guildId, userId);
	}

	/** A member's ledger, newest first. */
	public history(guildId: string, userId: string, limit = 10, beforeId?: number) {
		return memberHistory(this.#orm.em.fork(), guildId, userId, limit, beforeId);
	}

	/** Daily sums for a chart. */
	public perDay(guildId: string, days: number, timeZone: string, userId?: string) {
		return pointsPerDay(this.#orm.em.fork(), guildId, days, timeZone, userId);
	}
}
