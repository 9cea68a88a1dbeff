import { defineEntity, p } from '@mikro-orm/core';

/**
 * One change to a guild's configuration: a plugin switch (`key` = `$enabled`) or a settings key.
 * `before`/`after` hold `{ value }`, or null when the key was unset (its default applied).
 */
export const CoreAuditEntry = defineEntity({
	name: 'CoreAuditEntry',
	tableName: 'core_audit_entry',
	indexes: [{ properties: ['guildId', 'id'] }],
	properties: {
		id: p.bigint('number').primary().autoincrement(),
		guildId: p.string().length(20),
		actorId: p.string().length(20),
		source: p.string().length(16),
		plugin: p.string().length(32),
		key: p.string().length(64),
		before: p.json<{ value: unknown }>().nullable(),
		after: p.json<{ value: unknown }>().nullable(),
		revertOf: p.bigint('number').nullable(),
		createdAt: p.datetime().defaultRaw('now()')
	}
});
