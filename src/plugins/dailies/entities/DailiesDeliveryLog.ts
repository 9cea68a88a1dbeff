import { defineEntity, p } from '@mikro-orm/core';

/** Why an item was or was not posted. */
export const DELIVERY_OUTCOMES = ['posted', 'seen', 'filtered', 'capped', 'too_old', 'failed'] as const;
/** Why an item was or was not posted. */
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** One item of a poll, as the delivery log keeps it. */
export interface DeliveryItem {
	title: string | null;
	link: string | null;
	outcome: DeliveryOutcome;
	/** Said to the admin: which keyword filtered it, that the digest linked it, what failed. */
	reason?: string;
	messageId?: string;
}

/** One poll of a feed; the last 100 per feed are kept. */
export const DailiesDeliveryLog = defineEntity({
	name: 'DailiesDeliveryLog',
	tableName: 'dailies_delivery_log',
	indexes: [{ properties: ['feedId', 'id'] }],
	properties: {
		id: p.bigint('number').primary().autoincrement(),
		feedId: p.integer(),
		polledAt: p.datetime(),
		/** HTTP status of the last response, null when no response came (timeout, refused address). */
		httpStatus: p.integer().nullable(),
		error: p.string().length(500).nullable(),
		found: p.integer().default(0),
		posted: p.integer().default(0),
		/** Counts of skipped items by reason (`seen`, `filtered`, `capped`, `too_old`). */
		skipped: p.json<Record<string, number>>().defaultRaw(`'{}'`),
		/** The new items of this poll (not the already seen ones), with their outcome. */
		items: p.json<DeliveryItem[]>().defaultRaw(`'[]'`)
	}
});
