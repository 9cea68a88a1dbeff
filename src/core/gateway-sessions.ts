import type { SapphireClient } from '@sapphire/framework';
import { type Client, type SessionInfo, type SimpleShardingStrategy, Status, WebSocketShardEvents } from 'discord.js';
import type { Logger } from 'pino';
import { metrics } from './metrics.ts';
import type { BoundedRedis } from './redis.ts';

/** The gateway manager of `@discordjs/ws` that discord.js hands to `ws.buildStrategy`. */
export type GatewayManager = ConstructorParameters<typeof SimpleShardingStrategy>[0];

/** A shard's session as kept in Redis: what a RESUME needs, with the durable checkpoint as its sequence. */
export interface StoredSession extends SessionInfo {
	/** The last sequence the process had received when it saved (events past `sequence` it had not made durable). */
	liveSequence: number;
	/** When it was saved (ms since the epoch). */
	savedAt: number;
}

/**
 * Something that holds effects of gateway events in memory (the mileage buffer). It names, per shard, the lowest
 * sequence whose effect is not durable yet; the checkpoint never passes it, so a restart replays that event.
 */
export interface DurabilityParticipant {
	lowestPending(shardId: number): number | null;
}

/** The event being handled: which shard delivered it, under which sequence. */
export interface GatewayEventRef {
	shardId: number;
	sequence: number;
}

/** Defaults of {@link GatewaySessions}. */
export const DefaultGatewaySessionsOptions = {
	/** How often each shard's checkpoint is written (env `GATEWAY_CHECKPOINT_MS`); also after each durable write. */
	saveIntervalMs: 1_000,
	/** A saved session older than this is not worth a RESUME attempt (Discord's window is minutes). */
	keepSeconds: 3_600
};

const sessionsLost = metrics.counter(
	'facet_gateway_sessions_lost_total',
	'Saved gateway sessions that could not be resumed (past the resume window): the shard identified afresh',
	{ labelNames: ['shard'] }
);
const eventsLost = metrics.counter(
	'facet_gateway_events_lost_total',
	'Gateway events a lost session took with it that the previous process had received but not made durable (a lower bound: events sent while no process was connected are not known)',
	{ labelNames: ['shard'] }
);
const gapSeconds = metrics.gauge(
	'facet_gateway_last_gap_seconds',
	'Seconds between the last saved checkpoint and the fresh READY of a lost session',
	{
		labelNames: ['shard']
	}
);
const resumes = metrics.counter('facet_gateway_resumes_total', 'Gateway sessions resumed, by where the session came from', {
	labelNames: ['from']
});
const eventsHandled = metrics.counter('facet_gateway_events_total', 'Gateway dispatches handled, by type', { labelNames: ['type'] });

/**
 * Keeps each shard's gateway session in Redis so that a restarted process RESUMEs (Discord replays what it missed)
 * instead of IDENTIFYing. It hooks into discord.js through public options only: `ws.buildStrategy` hands it the
 * `@discordjs/ws` manager, whose `retrieveSessionInfo`/`updateSessionInfo` options it wraps (discord.js keeps its own
 * copy in memory; this adds the one in Redis).
 *
 * The sequence saved is a **durable checkpoint**, not the last one received: the lowest event that is still only in
 * memory (not yet handled by discord.js, or held by a {@link DurabilityParticipant} such as the mileage buffer)
 * minus one. A process that dies replays from there, so nothing it had only in memory is lost; what it had made
 * durable is not replayed. Within one process a reconnect resumes from the live sequence as before (its memory
 * is intact).
 */
export class GatewaySessions {
	readonly #redis: BoundedRedis;
	readonly #logger: Logger;
	readonly #key: (shardId: number) => string;
	readonly #options: typeof DefaultGatewaySessionsOptions;
	readonly #participants = new Set<DurabilityParticipant>();
	/** Sequences received and not yet handled by discord.js (queued before the client is ready). */
	readonly #unhandled = new Map<number, Set<number>>();
	/** The live session of each shard, as discord.js last updated it. */
	readonly #live = new Map<number, SessionInfo>();
	/** Sessions loaded from Redis at start, still to be offered to the gateway once. */
	readonly #restored = new Map<number, StoredSession>();
	/** Shards that RESUMEd a session of an earlier process and have not had a READY since. */
	readonly #resumedFromStore = new Set<number>();
	#current: GatewayEventRef | null = null;
	#timer: NodeJS.Timeout | null = null;
	#saving: Promise<void> | null = null;
	#again = false;
	#stopping = false;
	#manager: GatewayManager | null = null;

	public constructor(redis: BoundedRedis, logger: Logger, options: { keyPrefix: string } & Partial<typeof DefaultGatewaySessionsOptions>) {
		this.#redis = redis;
		this.#logger = logger;
		this.#key = (shardId) => `${options.keyPrefix}:session:${shardId}`;
		this.#options = { ...DefaultGatewaySessionsOptions, ...options };
	}

	/** The event whose handlers are running now (synchronously), or null between events. */
	public get current(): GatewayEventRef | null {
		return this.#current;
	}

	/** Sessions loaded from Redis that the shards will try to resume. */
	public get restored(): ReadonlyMap<number, StoredSession> {
		return this.#restored;
	}

	/** Adds a holder of in-memory effects; the returned function removes it. */
	public register(participant: DurabilityParticipant): () => void {
		this.#participants.add(participant);
		return () => this.#participants.delete(participant);
	}

	/**
	 * Loads the saved sessions of these shards (before login). A session saved under another shard count cannot be
	 * resumed (Discord ties a session to its shard) and is dropped.
	 */
	public async load(shardIds: readonly number[], shardCount: number): Promise<StoredSession[]> {
		if (shardIds.length === 0) return [];
		const values = await this.#redis.mget(...shardIds.map((id) => this.#key(id)));
		values.forEach((value, index) => {
			if (!value) return;
			try {
				const stored = JSON.parse(value) as StoredSession;
				if (stored.shardCount === shardCount && stored.shardId === shardIds[index]) this.#restored.set(stored.shardId, stored);
			} catch {
				// A value this version cannot read: identify afresh.
			}
		});
		return [...this.#restored.values()];
	}

	/** The durable checkpoint of a shard: the last sequence up to which every effect is durable, or null without a session. */
	public checkpoint(shardId: number): number | null {
		const live = this.#live.get(shardId);
		if (!live) return null;
		let lowest = Number.POSITIVE_INFINITY;
		for (const sequence of this.#unhandled.get(shardId) ?? []) lowest = Math.min(lowest, sequence);
		for (const participant of this.#participants) {
			const pending = participant.lowestPending(shardId);
			if (pending !== null) lowest = Math.min(lowest, pending);
		}
		return Math.min(live.sequence, lowest - 1);
	}

	/**
	 * For `ws.buildStrategy` (discord.js builds the manager at login): wraps the manager's session hooks and watches
	 * its events. A RESUME by a process that never had READY leaves discord.js waiting for guilds that will not
	 * come: the shard is marked all-ready on RESUMED (its guilds were loaded over REST before login).
	 */
	public attach(manager: GatewayManager): void {
		this.#manager = manager;
		const options = manager.options as GatewayManager['options'] & {
			retrieveSessionInfo: (shardId: number) => Promise<SessionInfo | null> | SessionInfo | null;
			updateSessionInfo: (shardId: number, info: SessionInfo | null) => Promise<void> | void;
		};
		const retrieve = options.retrieveSessionInfo.bind(options);
		const update = options.updateSessionInfo.bind(options);
		options.retrieveSessionInfo = async (shardId) => {
			const live = await retrieve(shardId);
			if (live) return live;
			const stored = this.#restored.get(shardId);
			if (!stored) return null;
			// Offered once: if Discord refuses it, the shard identifies afresh.
			this.#restored.delete(shardId);
			this.#resumedFromStore.add(shardId);
			const { liveSequence, savedAt, ...info } = stored;
			this.#live.set(shardId, info);
			await update(shardId, info);
			this.#logger.info(
				{ shardId, sequence: info.sequence, liveSequence, savedAgoMs: Date.now() - savedAt },
				`gateway shard ${shardId}: resuming the session of the previous process from its checkpoint`
			);
			this.#lost.set(shardId, stored);
			return info;
		};
		options.updateSessionInfo = async (shardId, info) => {
			await update(shardId, info);
			if (info) {
				this.#live.set(shardId, info);
				return;
			}
			// A shutdown closes resumably (@discordjs/ws still clears its copy): the session stays, for the final save.
			if (this.#stopping) return;
			this.#live.delete(shardId);
			await this.#redis.del(this.#key(shardId)).catch(() => undefined);
		};
		manager.on('dispatch', ({ data, shardId }) => {
			if (typeof data.s !== 'number') return;
			let set = this.#unhandled.get(shardId);
			if (!set) {
				set = new Set();
				this.#unhandled.set(shardId, set);
			}
			set.add(data.s);
			// The first replayed event of a session resumed from Redis (a refused RESUME brings READY instead).
			if (this.#resumedFromStore.has(shardId) && data.t !== 'READY') this.#markReady(shardId);
		});
		manager.on('ready', ({ shardId }) => {
			const lost = this.#lost.get(shardId);
			this.#resumedFromStore.delete(shardId);
			if (!lost) return;
			this.#lost.delete(shardId);
			const missing = Math.max(0, lost.liveSequence - lost.sequence);
			const gap = (Date.now() - lost.savedAt) / 1_000;
			sessionsLost.inc({ shard: String(shardId) });
			eventsLost.inc({ shard: String(shardId) }, missing);
			gapSeconds.set({ shard: String(shardId) }, gap);
			this.#logger.error(
				{ shardId, checkpoint: lost.sequence, liveSequence: lost.liveSequence, knownLostEvents: missing, gapSeconds: Math.round(gap) },
				`gateway shard ${shardId}: the saved session was past the resume window; identified afresh — events of the last ${Math.round(gap)} s are not replayed`
			);
		});
		manager.on('resumed', ({ shardId }) => {
			resumes.inc({ from: this.#lost.delete(shardId) ? 'redis' : 'memory' });
			if (this.#resumedFromStore.has(shardId)) this.#markReady(shardId);
		});
	}

	/**
	 * A process that resumes a session of an earlier one never gets READY, so discord.js would hold its shard in
	 * "resuming": it queues the replayed messages until a READY that never comes, and it handles the replayed member
	 * joins and leaves without emitting them. The shard is marked ready before the first replayed event is handled
	 * (its guilds were loaded over REST before login), so the replay reaches the listeners like live events.
	 */
	#markReady(shardId: number): void {
		this.#resumedFromStore.delete(shardId);
		const shard = this.#shards?.get(shardId);
		if (!shard) return;
		shard.status = Status.Ready;
		shard.emit(WebSocketShardEvents.AllReady);
	}

	/** discord.js' own shards (its WebSocketManager's), known once {@link instrument} ran. */
	#shards: Map<number, { status: number; emit: (event: string, ...args: unknown[]) => boolean }> | null = null;

	/** Sessions offered from Redis whose outcome (RESUMED or a fresh READY) is not known yet. */
	readonly #lost = new Map<number, StoredSession>();

	/**
	 * Wraps discord.js' packet handling so the core knows which event runs (participants read {@link current}) and
	 * when discord.js has handled it.
	 */
	public instrument(client: Client | SapphireClient): void {
		const ws = client.ws as unknown as {
			handlePacket: (packet?: { s?: number | null; t?: string }, shard?: { id: number }) => boolean;
			shards: Map<number, { status: number; emit: (event: string, ...args: unknown[]) => boolean }>;
		};
		this.#shards = ws.shards;
		const handle = ws.handlePacket.bind(ws);
		ws.handlePacket = (packet, shard) => {
			if (!packet || !shard || typeof packet.s !== 'number') return handle(packet, shard);
			const previous = this.#current;
			this.#current = { shardId: shard.id, sequence: packet.s };
			try {
				const handled = handle(packet, shard);
				if (handled) {
					this.#unhandled.get(shard.id)?.delete(packet.s);
					if (packet.t) eventsHandled.inc({ type: packet.t });
				}
				return handled;
			} finally {
				this.#current = previous;
			}
		};
	}

	/** Writes every shard's checkpoint now (one write at a time; a call during a write schedules one more). */
	public save(): Promise<void> {
		if (this.#saving) {
			this.#again = true;
			return this.#saving;
		}
		this.#saving = this.#write().finally(() => {
			this.#saving = null;
			if (this.#again) {
				this.#again = false;
				void this.save();
			}
		});
		return this.#saving;
	}

	async #write(): Promise<void> {
		const multi = this.#redis.multi();
		let writes = 0;
		for (const [shardId, live] of this.#live) {
			const sequence = this.checkpoint(shardId);
			if (sequence === null) continue;
			const stored: StoredSession = { ...live, sequence, liveSequence: live.sequence, savedAt: Date.now() };
			multi.set(this.#key(shardId), JSON.stringify(stored), 'EX', this.#options.keepSeconds);
			writes++;
		}
		if (writes) await multi.exec();
	}

	/** Saves every interval until {@link stop}. */
	public start(): void {
		this.#timer = setInterval(() => {
			this.save().catch((error: unknown) => this.#logger.warn({ err: error }, 'could not save the gateway checkpoint'));
		}, this.#options.saveIntervalMs);
		this.#timer.unref();
	}

	/**
	 * Closes every shard with a resumable close code (4200, not 1000 — a normal close ends the session on Discord's
	 * side) and keeps the saved sessions: the next process resumes them.
	 */
	public async closeResumable(): Promise<void> {
		this.#stopping = true;
		await this.#manager?.destroy({ code: 4200, reason: 'restarting: resume expected' });
	}

	/** The final save (after every participant made its effects durable) and the end of the timer. */
	public async stop(): Promise<void> {
		this.#stopping = true;
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
		await this.save();
	}
}
