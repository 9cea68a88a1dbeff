import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import type { FeedsAnswer } from '../../../../../contract.ts';
import { feedView } from '../../../../_shared.ts';

/** `GET /dailies/guilds/:guild/feeds`: the guild's feeds with their health, and the host's limit. */
export class DailiesFeedsGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedsGet', route: 'dailies/guilds/[guild]/feeds', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feeds = await this.container.dailiesFeeds.list(ctx.guild.id);
			response.json({ feeds: feeds.map(feedView), limit: { feeds: this.container.dailiesFeeds.options.maxFeeds } } satisfies FeedsAnswer);
		});
	}
}
