import type { MileageSettings } from './settings.ts';

/** What the rules need to know about an activity; plain data so the rules are unit-tested without Discord. */
export interface Activity {
	kind: 'message' | 'reaction' | 'join';
	guildId: string;
	userId: string;
	channelId: string | null;
	bot: boolean;
	roleIds: readonly string[];
	/** Message length (messages only). */
	length?: number;
	now: number;
}

/** Points an activity is worth under the guild's settings, before the cooldown. 0 means it does not count. */
export function basePoints(activity: Activity, settings: MileageSettings): number {
	if (activity.bot) return 0;
	if (activity.channelId && settings.ignoredChannels.includes(activity.channelId)) return 0;
	if (settings.ignoredRoles.length > 0 && activity.roleIds.some((role) => settings.ignoredRoles.includes(role))) return 0;
	switch (activity.kind) {
		case 'message':
			return (activity.length ?? 0) >= settings.minMessageLength ? settings.perMessage : 0;
		case 'reaction':
			return settings.perReaction;
		case 'join':
			return settings.perJoin;
	}
}

/**
 * Per member and kind cooldowns, in memory. Bounded: entries older than the longest cooldown are swept, so the
 * map holds at most the members active within that window.
 */
export class Cooldowns {
	readonly #last = new Map<string, number>();
	#sweptAt = 0;

	/** True (and the time recorded) when the member may earn for this kind now. */
	public take(key: string, now: number, cooldownMs: number): boolean {
		if (cooldownMs <= 0) return true;
		const last = this.#last.get(key);
		if (last !== undefined && now - last < cooldownMs) return false;
		this.#last.set(key, now);
		if (now - this.#sweptAt > 60_000) this.#sweep(now);
		return true;
	}

	/** Entries held. */
	public get size(): number {
		return this.#last.size;
	}

	#sweep(now: number) {
		this.#sweptAt = now;
		// 24 h is the longest cooldown the settings allow.
		for (const [key, at] of this.#last) if (now - at > 86_400_000) this.#last.delete(key);
	}
}

/** Whether a voice state earns: in a channel that is not the AFK channel, not deafened (self or server). */
export function voiceEligible(
	state: { channelId: string | null; selfDeaf: boolean; serverDeaf: boolean; bot: boolean },
	afkChannelId: string | null
): boolean {
	return state.channelId !== null && state.channelId !== afkChannelId && !state.selfDeaf && !state.serverDeaf && !state.bot;
}
