import { defineEntity, p } from '@mikro-orm/core';

/** A cache of the ledger: one row per member with points. `/mileage rebuild` recomputes it exactly. */
export const MileageTotal = defineEntity({
	name: 'MileageTotal',
	tableName: 'mileage_total',
	// The leaderboard reads (guild, points desc, user): an index-only range scan for any page.
	indexes: [{ properties: ['guildId', 'points', 'userId'], name: 'mileage_total_leaderboard_index' }],
	properties: {
		guildId: p.string().primary().length(20),
		userId: p.string().primary().length(20),
		points: p.bigint('number').default(0),
		updatedAt: p.datetime().defaultRaw('now()')
	}
});
