import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { feedIdOf, feedView, sendDailiesError } from '../../../../_shared.ts';

/** `GET /dailies/guilds/:guild/feeds/:feed`: one feed with its health; 404 `dailiesUnknownFeed`. */
export class DailiesFeedGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedGet', route: 'dailies/guilds/[guild]/feeds/[feed]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds/[feed]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feedId = feedIdOf(request, response);
			if (feedId === null) return;
			try {
				response.json({ feed: feedView(await this.container.dailiesFeeds.get(ctx.guild.id, feedId)) });
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
