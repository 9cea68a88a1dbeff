import { defineEntity, p } from '@mikro-orm/core';

/** A threshold of points that grants a role. */
export const MileageTier = defineEntity({
	name: 'MileageTier',
	tableName: 'mileage_tier',
	uniques: [{ properties: ['guildId', 'threshold'] }, { properties: ['guildId', 'roleId'] }],
	properties: {
		id: p.integer().primary().autoincrement(),
		guildId: p.string().length(20),
		name: p.string().length(50),
		threshold: p.bigint('number'),
		roleId: p.string().length(20),
		/** Why the bot cannot assign this role (hierarchy, permission), or null when it can. */
		problem: p.string().length(200).nullable(),
		createdAt: p.datetime().defaultRaw('now()')
	}
});
