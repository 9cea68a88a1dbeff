import { Route } from '@sapphire/plugin-api';
import type { SettingsAnswer } from '../../../../../core/api/contract.ts';
import { runSafely } from '../../../../../core/api/index.ts';
import { requireGuildPlugin, settingsSchema } from '../../../../../core/api/plugin-views.ts';

/** `GET /guilds/:guild/plugins/:plugin/settings`: the plugin's settings with defaults filled in, and their schema. */
export class GuildPluginSettingsGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginSettingsGet', route: 'guilds/[guild]/plugins/[plugin]/settings', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]/settings', response, async () => {
			const target = await requireGuildPlugin(request, response);
			if (!target) return;
			const settings: Record<string, unknown> = this.container.plugins.settings(target.ctx.guild.id, target.plugin);
			response.json({ plugin: target.plugin, settings, schema: settingsSchema(target.plugin) } satisfies SettingsAnswer);
		});
	}
}
