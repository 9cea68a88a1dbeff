import { defineEntity, p } from '@mikro-orm/core';

/**
 * A member in voice and the instant up to which their minutes are credited. Written in the same transaction
 * as the ledger rows it produced, so a restart resumes from it and never credits a minute twice.
 */
export const MileageVoiceSession = defineEntity({
	name: 'MileageVoiceSession',
	tableName: 'mileage_voice_session',
	properties: {
		guildId: p.string().primary().length(20),
		userId: p.string().primary().length(20),
		channelId: p.string().length(20),
		creditedUntil: p.datetime(),
		/** Milliseconds of eligible time after `creditedUntil` not yet worth a whole minute. */
		remainderMs: p.integer().default(0)
	}
});
