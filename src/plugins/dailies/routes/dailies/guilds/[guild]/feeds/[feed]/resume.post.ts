import { Route } from '@sapphire/plugin-api';
import { feedView, runFeedRoute } from '../../../../../_shared.ts';

/** `POST /dailies/guilds/:guild/feeds/:feed/resume`: resumes a paused feed (polled at once; failures and the notice cleared), 409 `dailies_feed_not_paused` when active; 200 `{feed}`, 404 `dailies_unknown_feed`. */
export class DailiesFeedResumeRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedResume', route: 'dailies/guilds/[guild]/feeds/[feed]/resume', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runFeedRoute('dailies/guilds/[guild]/feeds/[feed]/resume', request, response, async (ctx, feedId) => {
			response.json({ feed: feedView(await this.container.dailiesFeeds.resume(ctx.guild.id, feedId)) });
		});
	}
}
