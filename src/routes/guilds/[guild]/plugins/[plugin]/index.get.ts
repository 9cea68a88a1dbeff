import { Route } from '@sapphire/plugin-api';
import { runSafely } from '../../../../../core/api/index.ts';
import { pluginView, requireGuildPlugin } from '../../../../../core/api/plugin-views.ts';

/** `GET /guilds/:guild/plugins/:plugin`: one plugin's switch. */
export class GuildPluginGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginGet', route: 'guilds/[guild]/plugins/[plugin]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]', response, async () => {
			const target = await requireGuildPlugin(request, response);
			if (target) response.json(pluginView(target.ctx.guild.id, target.plugin));
		});
	}
}
