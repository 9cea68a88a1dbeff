import { Route } from '@sapphire/plugin-api';
import type { FeedLogAnswer } from '../../../../../../contract.ts';
import { pollView, runFeedRoute } from '../../../../../_shared.ts';

/**
 * `GET /dailies/guilds/:guild/feeds/:feed/log`: the feed's last polls (at most 100), newest first: HTTP status, error,
 * items found and posted, skipped counts by reason, and each new item with its outcome and why.
 */
export class DailiesFeedLogRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedLog', route: 'dailies/guilds/[guild]/feeds/[feed]/log', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runFeedRoute('dailies/guilds/[guild]/feeds/[feed]/log', request, response, async (ctx, feedId) => {
			const { polls } = await this.container.dailiesFeeds.log(ctx.guild.id, feedId);
			response.json({ polls: polls.map(pollView) } satisfies FeedLogAnswer);
		});
	}
}
