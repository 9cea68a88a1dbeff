import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely, sendError } from '../../../../../core/api/index.ts';

/** `GET /guilds/:guild/plugins/:plugin/settings`: the plugin's settings with defaults filled in. */
export class GuildPluginSettingsGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginSettingsGet', route: 'guilds/[guild]/plugins/[plugin]/settings', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]/settings', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const name = request.params.plugin ?? '';
			if (!this.container.plugins.get(name)) return sendError(response, 'not_found');
			response.json({ plugin: name, settings: this.container.plugins.settings(ctx.guild.id, name) });
		});
	}
}
