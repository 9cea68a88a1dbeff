import { Route } from '@sapphire/plugin-api';
import { feedView, runFeedRoute } from '../../../../../_shared.ts';

/** `POST /dailies/guilds/:guild/feeds/:feed/pause`: pauses a feed (by an admin); 200 `{feed}`, 404 `dailies_unknown_feed`. */
export class DailiesFeedPauseRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedPause', route: 'dailies/guilds/[guild]/feeds/[feed]/pause', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runFeedRoute('dailies/guilds/[guild]/feeds/[feed]/pause', request, response, async (ctx, feedId) => {
			response.json({ feed: feedView(await this.container.dailiesFeeds.pause(ctx.guild.id, feedId)) });
		});
	}
}
