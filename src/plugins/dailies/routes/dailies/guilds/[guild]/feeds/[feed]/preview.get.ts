import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { feedIdOf, sendDailiesError } from '../../../../../_shared.ts';

/** `GET /dailies/guilds/:guild/feeds/:feed/preview`: fetches the feed now and answers its newest item, `payload` — the
 * message exactly as the poller would post it (same renderer) — and `filtered`, why the filters would keep it out (or null). */
export class DailiesFeedPreviewRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedPreview', route: 'dailies/guilds/[guild]/feeds/[feed]/preview', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds/[feed]/preview', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feedId = feedIdOf(request, response);
			if (feedId === null) return;
			try {
				const { item, payload, filtered } = await this.container.dailiesFeeds.preview(ctx.guild.id, feedId);
				response.json({ item, payload, filtered });
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
