import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely, sendError } from '../../../../../core/api/index.ts';
import { pluginView } from '../../../../../core/api/plugin-views.ts';

/** `GET /guilds/:guild/plugins/:plugin`: one plugin's switch. */
export class GuildPluginGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginGet', route: 'guilds/[guild]/plugins/[plugin]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const name = request.params.plugin ?? '';
			if (!this.container.plugins.get(name)) return sendError(response, 'not_found');
			response.json(pluginView(ctx.guild.id, name));
		});
	}
}
