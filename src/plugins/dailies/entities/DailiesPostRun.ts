import { defineEntity, p } from '@mikro-orm/core';
import { DailiesPost } from './DailiesPost.ts';

/**
 * One run of a daily post: unique per post and local date, so a date is claimed once by one worker before anything is
 * sent. `sending` is the claim (the send may be retried with the same nonce); `posted`, `late` and `skipped` are final.
 */
export const DailiesPostRun = defineEntity({
	name: 'DailiesPostRun',
	tableName: 'dailies_post_run',
	uniques: [{ properties: ['post', 'localDate'] }],
	checks: [{ name: 'dailies_post_run_status_check', expression: "status in ('sending', 'posted', 'late', 'skipped')" }],
	properties: {
		id: p.bigint('number').primary().autoincrement(),
		/** Deleting a post deletes its runs. */
		post: () => p.manyToOne(DailiesPost).deleteRule('cascade'),
		guildId: p.string().length(20),
		/** The local calendar date the run belongs to (`YYYY-MM-DD`). */
		localDate: p.string().length(10),
		/** When it was due. */
		scheduledAt: p.datetime(),
		status: p.string().length(8),
		channelId: p.string().length(20).nullable(),
		messageId: p.string().length(20).nullable(),
		/** Sent with `enforce_nonce`, so a retried send returns the first message instead of posting again. */
		nonce: p.string().length(25),
		/** The prompt this run posts (rotating posts), fixed at the claim so a retry sends the same text. */
		promptIndex: p.integer().nullable(),
		/** Why it was skipped, or what the last failed attempt said. */
		reason: p.string().length(300).nullable(),
		attempts: p.integer().default(0),
		/** When the run was first claimed. */
		claimedAt: p.datetime().nullable(),
		/** Until when the claiming worker owns the send; after it, another worker may retry (same nonce). */
		leaseUntil: p.datetime().nullable(),
		finishedAt: p.datetime().nullable()
	}
});
