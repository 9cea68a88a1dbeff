import { defineEntity, p } from '@mikro-orm/core';

/** Why points moved. */
export const MILEAGE_REASONS = ['message', 'reaction', 'join', 'voice', 'adjust', 'reversal', 'import'] as const;
/** Why points moved. */
export type MileageReason = (typeof MILEAGE_REASONS)[number];

/**
 * The ledger: the source of truth. Awards are aggregated per flush (one row per guild, user and reason);
 * admin actions are single rows. `reversesEventId` is unique, so the database refuses a second reversal.
 */
export const MileageEvent = defineEntity({
	name: 'MileageEvent',
	tableName: 'mileage_event',
	indexes: [{ properties: ['guildId', 'userId', 'id'] }, { properties: ['guildId', 'createdAt'] }],
	properties: {
		id: p.bigint('number').primary().autoincrement(),
		guildId: p.string().length(20),
		userId: p.string().length(20),
		delta: p.bigint('number'),
		reason: p.enum(() => [...MILEAGE_REASONS]),
		actorId: p.string().length(20).nullable(),
		note: p.string().length(200).nullable(),
		reversesEventId: p.bigint('number').nullable().unique(),
		batchId: p.uuid().nullable(),
		createdAt: p.datetime().defaultRaw('now()')
	}
});
