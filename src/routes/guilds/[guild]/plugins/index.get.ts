import { Route } from '@sapphire/plugin-api';
import type { PluginsAnswer } from '../../../../core/api/contract.ts';
import { requireGuildManager, runSafely } from '../../../../core/api/index.ts';
import { pluginView } from '../../../../core/api/plugin-views.ts';

/** `GET /guilds/:guild/plugins`: every plugin and whether it is on in the guild. */
export class GuildPluginsListRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginsList', route: 'guilds/[guild]/plugins', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			response.json({
				plugins: this.container.plugins.list().map((plugin) => pluginView(ctx.guild.id, plugin.name))
			} satisfies PluginsAnswer);
		});
	}
}
