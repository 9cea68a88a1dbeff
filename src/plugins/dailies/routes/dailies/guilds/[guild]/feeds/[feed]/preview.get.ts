import { Route } from '@sapphire/plugin-api';
import { runFeedRoute } from '../../../../../_shared.ts';

/**
 * `GET /dailies/guilds/:guild/feeds/:feed/preview`: fetches the feed now and answers its newest item, `payload` — the
 * message exactly as the poller would post it (same renderer) — and `filtered`, why the filters would keep it out (or null).
 */
export class DailiesFeedPreviewRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedPreview', route: 'dailies/guilds/[guild]/feeds/[feed]/preview', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runFeedRoute('dailies/guilds/[guild]/feeds/[feed]/preview', request, response, async (ctx, feedId) => {
			const { item, payload, filtered } = await this.container.dailiesFeeds.preview(ctx.guild.id, feedId);
			response.json({ item, payload, filtered });
		});
	}
}
