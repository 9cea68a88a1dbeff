import { Route } from '@sapphire/plugin-api';
import { getApiServices, requireGuildManager, runSafely } from '../../../core/api/index.ts';
import { guildDetail } from '../../../core/api/views.ts';

/** `GET /guilds/:guild`: name, icon, channels and roles of a guild the user may manage (for the dashboard's pickers). */
export class GuildGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildGet', route: 'guilds/[guild]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			response.json(guildDetail(ctx.guild, ctx.access, getApiServices().config.accessRecheckSeconds));
		});
	}
}
