import { randomUUID } from 'node:crypto';
import type { MileageReason } from '../entities/MileageEvent.ts';

/** One aggregated ledger row of a batch. */
export interface BatchRow {
	guildId: string;
	userId: string;
	reason: MileageReason;
	delta: number;
}

/** A voice checkpoint written with a batch. */
export interface VoiceCheckpoint {
	guildId: string;
	userId: string;
	channelId: string | null;
	creditedUntil: Date;
	remainderMs: number;
}

/** A batch waiting to be applied; its id makes a retry idempotent. */
export interface Batch {
	id: string;
	rows: BatchRow[];
	voice: VoiceCheckpoint[];
	createdAt: number;
	attempts: number;
	/** Per gateway shard, the lowest event sequence whose points are in this batch (the checkpoint waits for it). */
	firstSequence?: Record<number, number>;
}

/** The gateway event an award comes from. */
export interface EventRef {
	shardId: number;
	sequence: number;
}

/**
 * Aggregates awards in memory: memory grows with distinct (guild, member, reason) keys, not with events.
 * Bounded: past `maxKeys` (counting sealed batches awaiting retry), new keys are refused and counted.
 */
export class AwardBuffer {
	#open = new Map<string, BatchRow>();
	#voice = new Map<string, VoiceCheckpoint>();
	/** Per shard, the lowest event sequence with points in the open rows. */
	#openFirst = new Map<number, number>();
	readonly #sealed: Batch[] = [];
	readonly maxKeys: number;
	/** Points refused because the buffer was full. */
	public droppedPoints = 0;
	public droppedEvents = 0;

	public constructor(maxKeys: number) {
		this.maxKeys = maxKeys;
	}

	/** Keys held: open plus sealed-but-unapplied. */
	public get size(): number {
		return this.#open.size + this.#sealed.reduce((sum, batch) => sum + batch.rows.length, 0);
	}

	/** Points added since the last seal, per key. */
	public get openSize(): number {
		return this.#open.size;
	}

	/** Adds points (from the gateway event `from`, if any). Returns false (and counts the loss) when the buffer is full and the key is new. */
	public add(guildId: string, userId: string, reason: MileageReason, delta: number, from?: EventRef | null): boolean {
		const key = `${guildId}:${userId}:${reason}`;
		const row = this.#open.get(key);
		if (row) {
			row.delta += delta;
			this.#noteEvent(from);
			return true;
		}
		if (this.size >= this.maxKeys) {
			this.droppedPoints += delta;
			this.droppedEvents++;
			return false;
		}
		this.#open.set(key, { guildId, userId, reason, delta });
		this.#noteEvent(from);
		return true;
	}

	#noteEvent(from: EventRef | null | undefined): void {
		if (!from) return;
		const first = this.#openFirst.get(from.shardId);
		if (first === undefined || from.sequence < first) this.#openFirst.set(from.shardId, from.sequence);
	}

	/** The lowest gateway sequence of a shard whose points are not written yet (open or sealed), or null. */
	public lowestPending(shardId: number): number | null {
		let lowest = this.#openFirst.get(shardId) ?? null;
		for (const batch of this.#sealed) {
			const first = batch.firstSequence?.[shardId];
			if (first !== undefined && (lowest === null || first < lowest)) lowest = first;
		}
		return lowest;
	}

	/** Records a voice checkpoint to persist with the next batch (the latest per member wins). */
	public checkpoint(voice: VoiceCheckpoint): void {
		this.#voice.set(`${voice.guildId}:${voice.userId}`, voice);
	}

	/** Points of a member not yet applied (open and sealed), for an up-to-date `/mileage show`. */
	public pending(guildId: string, userId: string): number {
		let sum = 0;
		const prefix = `${guildId}:${userId}:`;
		for (const [key, row] of this.#open) if (key.startsWith(prefix)) sum += row.delta;
		for (const batch of this.#sealed) for (const row of batch.rows) if (row.guildId === guildId && row.userId === userId) sum += row.delta;
		return sum;
	}

	/** Closes the open rows into a batch with a fresh id (or returns null when there is nothing to write). */
	public seal(now: number): Batch | null {
		if (this.#open.size === 0 && this.#voice.size === 0) return null;
		const rows = [...this.#open.values()].filter((row) => row.delta !== 0);
		const batch: Batch = {
			id: randomUUID(),
			rows,
			voice: [...this.#voice.values()],
			createdAt: now,
			attempts: 0,
			firstSequence: Object.fromEntries(this.#openFirst)
		};
		this.#open = new Map();
		this.#voice = new Map();
		this.#openFirst = new Map();
		this.#sealed.push(batch);
		return batch;
	}

	/** Batches waiting to be applied, oldest first. */
	public get sealed(): readonly Batch[] {
		return this.#sealed;
	}

	/** Forgets a batch once it is applied. */
	public applied(batch: Batch): void {
		const index = this.#sealed.indexOf(batch);
		if (index !== -1) this.#sealed.splice(index, 1);
	}
}
