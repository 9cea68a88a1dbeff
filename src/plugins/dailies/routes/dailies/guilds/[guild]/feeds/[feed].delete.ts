import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { feedIdOf, sendDailiesError } from '../../../../_shared.ts';

/** `DELETE /dailies/guilds/:guild/feeds/:feed`: stops following; 204. Its seen items stay (adding it again posts nothing old). */
export class DailiesFeedDeleteRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedDelete', route: 'dailies/guilds/[guild]/feeds/[feed]', methods: ['DELETE'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds/[feed]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const feedId = feedIdOf(request, response);
			if (feedId === null) return;
			try {
				await this.container.dailiesFeeds.remove(ctx.guild.id, feedId);
				response.status(204).respond('');
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
