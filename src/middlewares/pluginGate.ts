import { Middleware } from '@sapphire/plugin-api';
import { guildIdOf, isGuildRoute, runSafely } from '../core/api/index.ts';
import { pluginDisabledBody, pluginOf } from '../core/plugins/gate.ts';

/**
 * A plugin's guild routes answer 409 `{error:'plugin_disabled', plugin}` where the plugin is off. Runs after
 * the guild access check, so an outsider still gets 401/403/404 and learns nothing about the guild's plugins.
 */
export class PluginGateMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'pluginGate', position: 17 });
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		return runSafely('pluginGate', response, () => {
			const route = request.route;
			if (!route || response.writableEnded || !isGuildRoute(route.path)) return;
			const plugin = pluginOf(route);
			if (plugin === null) return;
			const guildId = guildIdOf(request);
			if (!this.container.plugins.isEnabled(guildId, plugin)) response.status(409).json(pluginDisabledBody(plugin));
		});
	}
}
