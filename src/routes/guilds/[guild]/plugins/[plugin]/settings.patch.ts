import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import type { SettingsAnswer } from '../../../../../core/api/contract.ts';
import { parseBody, runSafely } from '../../../../../core/api/index.ts';
import { requireGuildPlugin, serviceCall, settingsSchema } from '../../../../../core/api/plugin-views.ts';

// Shape only; the plugin's own schema validates the values (and rejects unknown keys) in the service.
const Body = z.record(z.string().min(1).max(64), z.unknown()).refine((value) => Object.keys(value).length > 0, 'no settings given');

/**
 * `PATCH /guilds/:guild/plugins/:plugin/settings` `{key: value, …}` (`null` resets a key): validated by the
 * plugin's schema as a whole, written with its audit entries in one transaction, or 400 with field errors.
 */
export class GuildPluginSettingsPatchRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, {
			...options,
			name: 'coreGuildPluginSettingsPatch',
			route: 'guilds/[guild]/plugins/[plugin]/settings',
			methods: ['PATCH']
		});
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/plugins/[plugin]/settings', response, async () => {
			const target = await requireGuildPlugin(request, response);
			if (!target) return;
			const body = parseBody(request, response, Body);
			if (!body) return;
			const { ctx, plugin } = target;
			const patch = Object.fromEntries(Object.entries(body).map(([key, value]) => [key, value === null ? undefined : value]));
			const actor = { id: ctx.session.userId, source: 'api' as const };
			let settings: Record<string, unknown> = {};
			const written = await serviceCall(response, async () => {
				settings = await this.container.plugins.updateSettings(ctx.guild.id, plugin, patch, actor);
			});
			if (written) response.json({ plugin, settings, schema: settingsSchema(plugin) } satisfies SettingsAnswer);
		});
	}
}
