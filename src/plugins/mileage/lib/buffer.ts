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
	/**
	 * Open rows by guild, then member, then reason. Every award looks its row up here: three lookups by strings the
	 * event already holds (their hashes are cached on the strings) cost less than building and hashing a joined key.
	 */
	#open = new Map<string, Map<string, Map<MileageReason, BatchRow>>>();
	/** Rows in {@link #open}: the flush threshold is checked against it on every award. */
	#openRows = 0;
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
		return this.#openRows + this.#sealed.reduce((sum, batch) => sum + batch.rows.length, 0);
	}

	/** Points added since the last seal, per key. */
	public get openSize(): number {
		return this.#openRows;
	}

	/** Adds points (from the gateway event `from`, if any). Returns false (and counts the loss) when the buffer is full and the key is new. */
	public add(guildId: string, userId: string, reason: MileageReason, delta: number, from?: EventRef | null): boolean {
		let members = this.#open.get(guildId);
		let reasons = members?.get(userId);
		const row = reasons?.get(reason);
		if (row) {
			row.delta += delta;
			if (from) this.#noteEvent(from);
			return true;
		}
		if (this.size >= this.maxKeys) {
			this.droppedPoints += delta;
			this.droppedEvents++;
			return false;
		}
		if (!members) {
			members = new Map();
			this.#open.set(guildId, members);
		}
		if (!reasons) {
			reasons = new Map();
			members.set(userId, reasons);
		}
		reasons.set(reason, { guildId, userId, reason, delta });
		this.#openRows++;
		if (from) this.#noteEvent(from);
		return true;
	}

	#noteEvent(from: EventRef): void {
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
		for (const row of this.#open.get(guildId)?.get(userId)?.values() ?? []) sum += row.delta;
		for (const batch of this.#sealed) for (const row of batch.rows) if (row.guildId === guildId && row.userId === userId) sum += row.delta;
		return sum;
	}

	/** Closes the open rows into a batch with a fresh id (or returns null when there is nothing to write). */
	public seal(now: number): Batch | null {
		if (this.#openRows === 0 && this.#voice.size === 0) return null;
		const rows: BatchRow[] = [];
		for (const members of this.#open.values())
			for (const reasons of members.values()) for (const row of reasons.values()) if (row.delta !== 0) rows.push(row);
		const batch: Batch = {
			id: randomUUID(),
			rows,
			voice: [...this.#voice.values()],
			createdAt: now,
			attempts: 0,
			firstSequence: Object.fromEntries(this.#openFirst)
		};
		this.#open = new Map();
		this.#openRows = 0;
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
