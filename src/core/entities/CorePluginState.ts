import { defineEntity, p } from '@mikro-orm/core';

/** A plugin's switch and settings in one guild. No row means: the manifest's default, default settings. */
export const CorePluginState = defineEntity({
	name: 'CorePluginState',
	tableName: 'core_plugin_state',
	properties: {
		guildId: p.string().primary().length(20),
		plugin: p.string().primary().length(32),
		enabled: p.boolean().nullable(),
		settings: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
		/** Counts the row's writes, so a process' cache keeps the newest of answers that arrive out of order. */
		version: p.bigint('number').defaultRaw('0'),
		updatedAt: p.datetime().defaultRaw('now()')
	}
});
