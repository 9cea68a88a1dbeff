import { Route } from '@sapphire/plugin-api';
import { feedView, runFeedRoute } from '../../../../_shared.ts';

/** `GET /dailies/guilds/:guild/feeds/:feed`: one feed with its health; 404 `dailies_unknown_feed`. */
export class DailiesFeedGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedGet', route: 'dailies/guilds/[guild]/feeds/[feed]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runFeedRoute('dailies/guilds/[guild]/feeds/[feed]', request, response, async (ctx, feedId) => {
			response.json({ feed: feedView(await this.container.dailiesFeeds.get(ctx.guild.id, feedId)) });
		});
	}
}
