/** One member's voice time not yet credited. */
interface VoiceState {
	channelId: string | null;
	/** When the member last became eligible (in a channel, not AFK, not deafened), or null when not eligible. */
	eligibleSince: number | null;
	/** Eligible milliseconds accumulated and not yet worth a whole minute. */
	accumulatedMs: number;
}

/** Minutes to credit and the checkpoint to persist with them. */
export interface VoiceCredit {
	guildId: string;
	userId: string;
	channelId: string | null;
	minutes: number;
	remainderMs: number;
	until: number;
}

/**
 * Turns voice state changes into credited minutes. Pure bookkeeping in memory: the caller credits the
 * minutes and persists the checkpoint in the same transaction, so a minute is never counted twice.
 */
export class VoiceClock {
	readonly #states = new Map<string, VoiceState & { guildId: string; userId: string }>();
	/** Length of a credited minute; only tests shorten it. */
	readonly minuteMs: number;

	public constructor(minuteMs = 60_000) {
		this.minuteMs = minuteMs;
	}

	/** Members tracked. */
	public get size(): number {
		return this.#states.size;
	}

	/** Restores a member found in voice at start, with the remainder persisted before the restart. */
	public restore(guildId: string, userId: string, channelId: string, eligible: boolean, remainderMs: number, now: number): void {
		this.#states.set(`${guildId}:${userId}`, {
			guildId,
			userId,
			channelId,
			eligibleSince: eligible ? now : null,
			accumulatedMs: remainderMs
		});
	}

	/** Records a voice state change. */
	public update(guildId: string, userId: string, channelId: string | null, eligible: boolean, now: number): void {
		const key = `${guildId}:${userId}`;
		const state = this.#states.get(key) ?? { guildId, userId, channelId: null, eligibleSince: null, accumulatedMs: 0 };
		if (state.eligibleSince !== null) state.accumulatedMs += Math.max(0, now - state.eligibleSince);
		state.eligibleSince = eligible && channelId !== null ? now : null;
		state.channelId = channelId;
		this.#states.set(key, state);
	}

	/**
	 * Collects whole minutes earned up to `now` for every tracked member. Members who left are reported once
	 * with `channelId: null` (so their checkpoint is deleted) and forgotten.
	 */
	public collect(now: number): VoiceCredit[] {
		const credits: VoiceCredit[] = [];
		for (const [key, state] of this.#states) {
			if (state.eligibleSince !== null) {
				state.accumulatedMs += Math.max(0, now - state.eligibleSince);
				state.eligibleSince = now;
			}
			const minutes = Math.floor(state.accumulatedMs / this.minuteMs);
			state.accumulatedMs -= minutes * this.minuteMs;
			credits.push({
				guildId: state.guildId,
				userId: state.userId,
				channelId: state.channelId,
				minutes,
				remainderMs: state.accumulatedMs,
				until: now
			});
			if (state.channelId === null) this.#states.delete(key);
		}
		return credits;
	}
}
