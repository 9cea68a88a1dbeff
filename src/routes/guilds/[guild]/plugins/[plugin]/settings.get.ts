import { Route } from '@sapphire/plugin-api';
import { runSafely } from '../../../../../core/api/index.ts';
import { requireGuildPlugin } from '../../../../../core/api/plugin-views.ts';

/** `GET /guilds/:guild/plugins/:plugin/settings`: the plugin's settings with defaults filled in. */
export class GuildPluginSettingsGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginSettingsGet', route: 'guilds/[guild]/plugins/[plugin]/settings', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]/settings', response, async () => {
			const target = await requireGuildPlugin(request, response);
			if (target) response.json({ plugin: target.plugin, settings: this.container.plugins.settings(target.ctx.guild.id, target.plugin) });
		});
	}
}
