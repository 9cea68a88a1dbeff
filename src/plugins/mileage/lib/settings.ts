import { z } from 'zod';
import { channelReference, roleReference } from '../../../core/references.ts';

const points = (fallback: number) => z.number().int('must be a whole number').min(0).max(1_000).default(fallback);

/** The mileage plugin's per-guild settings, with their defaults. */
export const MileageSettings = z.object({
	perMessage: points(1),
	perReaction: points(1),
	perJoin: points(10),
	perVoiceMinute: points(2),
	/** Seconds a member waits before the same kind of activity earns again (voice is per minute already). */
	cooldownSeconds: z.number().int().min(0).max(86_400).default(60),
	minMessageLength: z.number().int().min(0).max(2_000).default(5),
	/** Channels of the guild (any type: voice minutes count per channel too), checked against the bot's cache. */
	ignoredChannels: z.array(channelReference('any')).max(100).default([]),
	/** Roles of the guild; `@everyone` is allowed (it switches mileage off for everyone without disabling the plugin). */
	ignoredRoles: z
		.array(roleReference({ allowEveryone: true }))
		.max(100)
		.default([]),
	/** When a member reaches a tier, remove the roles of the tiers below it. */
	removeLowerTiers: z.boolean().default(false),
	/**
	 * Publish the leaderboard (ranks, names and avatars only) at a page anyone can open without logging in. Members
	 * can hide themselves from it with `/mileage privacy`.
	 */
	publicLeaderboard: z
		.boolean()
		.default(false)
		.describe('Anyone with the link sees ranks, names and avatars, without logging in. Members can hide with /mileage privacy.')
});

/** Parsed mileage settings. */
export type MileageSettings = z.infer<typeof MileageSettings>;
