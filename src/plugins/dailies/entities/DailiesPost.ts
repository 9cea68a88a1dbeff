import { defineEntity, p } from '@mikro-orm/core';

/** A message (or a rotating list of prompts) posted at a local time of day on chosen weekdays. */
export const DailiesPost = defineEntity({
	name: 'DailiesPost',
	tableName: 'dailies_post',
	indexes: [{ properties: ['guildId'] }],
	// Exactly one of a message and a list of prompts.
	checks: [{ name: 'dailies_post_body_check', expression: '(message is null) <> (prompts is null)' }],
	properties: {
		id: p.integer().primary().autoincrement(),
		guildId: p.string().length(20),
		/** Null: the guild's daily channel at the time of each post. */
		channelId: p.string().length(20).nullable(),
		/** Minutes after local midnight. */
		minuteOfDay: p.smallint(),
		/** Bit i = weekday i, Monday first (127 = every day). */
		weekdays: p.smallint(),
		/** Null: the guild's time zone at the time of each post. */
		timeZone: p.string().length(64).nullable(),
		/** The single message, or null for a rotating list. */
		message: p.text().nullable(),
		/** The rotating prompts, or null for a single message. */
		prompts: p.json<string[]>().nullable(),
		/** The current cycle: prompt indexes in posting order. */
		rotationOrder: p.json<number[]>().nullable(),
		/** Next position in `rotationOrder`. */
		rotationPosition: p.integer().default(0),
		/** `late`: post late within the grace window after downtime; `skip`: never post late. */
		missedPolicy: p.string().length(8).default('late'),
		graceMinutes: p.integer().default(120),
		enabled: p.boolean().default(true),
		/** Runs due before this instant are not this post's (it did not exist, or was off). */
		activeSince: p.datetime(),
		createdBy: p.string().length(20).nullable(),
		createdAt: p.datetime().defaultRaw('now()')
	}
});
