import { Route } from '@sapphire/plugin-api';
import { runFeedRoute } from '../../../../_shared.ts';

/** `DELETE /dailies/guilds/:guild/feeds/:feed`: stops following; 204. Its seen items stay (adding it again posts nothing old). */
export class DailiesFeedDeleteRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedDelete', route: 'dailies/guilds/[guild]/feeds/[feed]', methods: ['DELETE'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runFeedRoute('dailies/guilds/[guild]/feeds/[feed]', request, response, async (ctx, feedId) => {
			await this.container.dailiesFeeds.remove(ctx.guild.id, feedId);
			response.status(204).respond('');
		});
	}
}
