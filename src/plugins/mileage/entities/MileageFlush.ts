import { defineEntity, p } from '@mikro-orm/core';

/** One applied flush batch. Inserted in the batch's own transaction, so a retried batch is applied once. */
export const MileageFlush = defineEntity({
	name: 'MileageFlush',
	tableName: 'mileage_flush',
	properties: {
		batchId: p.uuid().primary(),
		rows: p.integer(),
		appliedAt: p.datetime().defaultRaw('now()')
	}
});
