import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { feedIdOf, feedView, sendDailiesError } from '../../../../../_shared.ts';

/** `POST /dailies/guilds/:guild/feeds/:feed/pause`: pauses a feed (by an admin); 200 `{feed}`, 404 `dailiesUnknownFeed`. */
export class DailiesFeedPauseRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedPause', route: 'dailies/guilds/[guild]/feeds/[feed]/pause', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds/[feed]/pause', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feedId = feedIdOf(request, response);
			if (feedId === null) return;
			try {
				response.json({ feed: feedView(await this.container.dailiesFeeds.pause(ctx.guild.id, feedId)) });
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
