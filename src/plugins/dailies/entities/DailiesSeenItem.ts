import { defineEntity, p } from '@mikro-orm/core';

/**
 * An item a feed has delivered or decided not to deliver, by its key (sha-256 of guid, else link, else content).
 * The unique key is what makes a post happen at most once, across restarts, workers and re-added feeds.
 */
export const DailiesSeenItem = defineEntity({
	name: 'DailiesSeenItem',
	tableName: 'dailies_seen_item',
	uniques: [{ properties: ['feedId', 'itemKey'] }],
	properties: {
		id: p.bigint('number').primary().autoincrement(),
		feedId: p.integer(),
		itemKey: p.string().length(64),
		/** The message that posted it; null when it was skipped (seen at add, filtered, over the cap, too old). */
		messageId: p.string().length(20).nullable(),
		seenAt: p.datetime().defaultRaw('now()')
	}
});
