import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { feedIdOf, feedView, sendDailiesError } from '../../../../../_shared.ts';

/** `POST /dailies/guilds/:guild/feeds/:feed/resume`: resumes a paused feed (polled at once; failures and the notice cleared), 409 `dailiesFeedNotPaused` when active; 200 `{feed}`, 404 `dailiesUnknownFeed`. */
export class DailiesFeedResumeRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedResume', route: 'dailies/guilds/[guild]/feeds/[feed]/resume', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds/[feed]/resume', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feedId = feedIdOf(request, response);
			if (feedId === null) return;
			try {
				response.json({ feed: feedView(await this.container.dailiesFeeds.resume(ctx.guild.id, feedId)) });
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
