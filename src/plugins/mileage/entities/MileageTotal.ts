import { defineEntity, p } from '@mikro-orm/core';

/** A cache of the ledger: one row per member with points. `/mileage rebuild` recomputes it exactly. */
export const MileageTotal = defineEntity({
	name: 'MileageTotal',
	tableName: 'mileage_total',
	// The leaderboard reads in exactly this order (points desc, then user id asc): an index scan serves any page,
	// and a rank is a count of one index range (points above the member's).
	indexes: [
		{
			name: 'mileage_total_leaderboard_index',
			expression: 'create index "mileage_total_leaderboard_index" on "mileage_total" ("guild_id", "points" desc, "user_id")'
		}
	],
	properties: {
		guildId: p.string().primary().length(20),
		userId: p.string().primary().length(20),
		points: p.bigint('number').default(0),
		updatedAt: p.datetime().defaultRaw('now()')
	}
});
