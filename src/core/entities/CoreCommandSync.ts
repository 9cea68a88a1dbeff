import { defineEntity, p } from '@mikro-orm/core';

/** Hash of the application commands last sent for a scope (`global` or a guild id), so unchanged sets are not re-sent. */
export const CoreCommandSync = defineEntity({
	name: 'CoreCommandSync',
	tableName: 'core_command_sync',
	properties: {
		scope: p.string().primary().length(20),
		hash: p.string().length(64),
		syncedAt: p.datetime().defaultRaw('now()')
	}
});
