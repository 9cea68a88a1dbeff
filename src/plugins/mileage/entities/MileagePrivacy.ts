import { defineEntity, p } from '@mikro-orm/core';

/** A member hidden from the guild's public leaderboard (`/mileage privacy`); no row means shown. */
export const MileagePrivacy = defineEntity({
	name: 'MileagePrivacy',
	tableName: 'mileage_privacy',
	properties: {
		guildId: p.string().primary().length(20),
		userId: p.string().primary().length(20),
		hiddenAt: p.datetime().defaultRaw('now()')
	}
});
