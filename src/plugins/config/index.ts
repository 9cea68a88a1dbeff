import { container } from '@sapphire/framework';
import { definePlugin, pluginDirectory } from '../../core/plugins/manifest.ts';
import { ConfigSettings } from './lib/settings.ts';

export type { ConfigSettings } from './lib/settings.ts';

/** Guild settings, plugin switches and the audit log. Required: it is how every other plugin is switched. */
export const configPlugin = definePlugin({
	name: 'config',
	description: 'Server settings, plugin switches and the audit log',
	defaultEnabled: true,
	required: true,
	directory: pluginDirectory('config'),
	settings: ConfigSettings,
	entities: [],
	dashboardRoles: (guildId) => container.plugins.settings<ConfigSettings>(guildId, 'config').dashboardRoles,
	guildFacts: (guildId) => {
		const settings = container.plugins.settings<ConfigSettings>(guildId, 'config');
		return { timeZone: settings.timezone, locale: settings.locale, dailyChannelId: settings.dailyChannel };
	}
});
