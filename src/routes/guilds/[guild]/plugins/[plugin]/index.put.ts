import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { parseBody, runSafely } from '../../../../../core/api/index.ts';
import { pluginView, requireGuildPlugin, serviceCall } from '../../../../../core/api/plugin-views.ts';

const Body = z.strictObject({ enabled: z.boolean() });

/** `PUT /guilds/:guild/plugins/:plugin` `{enabled}`: switches a plugin; audited with source `api`. */
export class GuildPluginPutRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginPut', route: 'guilds/[guild]/plugins/[plugin]', methods: ['PUT'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]', response, async () => {
			const target = await requireGuildPlugin(request, response);
			if (!target) return;
			const body = parseBody(request, response, Body);
			if (!body) return;
			const { ctx, plugin } = target;
			const actor = { id: ctx.session.userId, source: 'api' as const };
			if (await serviceCall(response, () => this.container.plugins.setEnabled(ctx.guild.id, plugin, body.enabled, actor))) {
				response.json(pluginView(ctx.guild.id, plugin));
			}
		});
	}
}
