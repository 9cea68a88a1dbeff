import { defineEntity, p } from '@mikro-orm/core';

/** A guild the bot is or was in. Kept by the core on join and leave; plugins key their rows by its id. */
export const CoreGuild = defineEntity({
	name: 'CoreGuild',
	tableName: 'core_guild',
	properties: {
		id: p.string().primary().length(20),
		name: p.string().length(100),
		joinedAt: p.datetime().defaultRaw('now()'),
		leftAt: p.datetime().nullable(),
		updatedAt: p.datetime().defaultRaw('now()')
	}
});

/** A row of {@link CoreGuild}. */
export type ICoreGuild = InstanceType<typeof CoreGuild.class>;
