import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { parseBody, requireGuildManager, runSafely, sendError } from '../../../../../core/api/index.ts';
import { pluginView, sendServiceError } from '../../../../../core/api/plugin-views.ts';

const Body = z.strictObject({ enabled: z.boolean() });

/** `PUT /guilds/:guild/plugins/:plugin` `{enabled}`: switches a plugin; audited with source `api`. */
export class GuildPluginPutRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildPluginPut', route: 'guilds/[guild]/plugins/[plugin]', methods: ['PUT'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const name = request.params.plugin ?? '';
			if (!this.container.plugins.get(name)) return sendError(response, 'not_found');
			const body = parseBody(request, response, Body);
			if (!body) return;
			try {
				await this.container.plugins.setEnabled(ctx.guild.id, name, body.enabled, { id: ctx.session.userId, source: 'api' });
			} catch (error) {
				if (sendServiceError(response, error)) return;
				throw error;
			}
			response.json(pluginView(ctx.guild.id, name));
		});
	}
}
