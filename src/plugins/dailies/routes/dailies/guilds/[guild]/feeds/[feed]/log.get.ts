import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { feedIdOf, pollView, sendDailiesError } from '../../../../../_shared.ts';

/** `GET /dailies/guilds/:guild/feeds/:feed/log`: the feed's last polls (at most 100), newest first: HTTP status, error,
 * items found and posted, skipped counts by reason, and each new item with its outcome and why. */
export class DailiesFeedLogRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedLog', route: 'dailies/guilds/[guild]/feeds/[feed]/log', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds/[feed]/log', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feedId = feedIdOf(request, response);
			if (feedId === null) return;
			try {
				const { polls } = await this.container.dailiesFeeds.log(ctx.guild.id, feedId);
				response.json({ polls: polls.map(pollView) });
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
