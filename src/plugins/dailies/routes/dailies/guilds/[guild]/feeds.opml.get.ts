import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../core/api/index.ts';

/**
 * `GET /dailies/guilds/:guild/feeds.opml`: the guild's feeds as an OPML 2.0 download (channel, template, format,
 * filters and catch-up policy in Facet's namespace, so an import elsewhere keeps them).
 */
export class DailiesFeedsOpmlGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedsOpmlGet', route: 'dailies/guilds/[guild]/feeds.opml', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds.opml', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const opml = await this.container.dailiesFeeds.exportOpml(ctx.guild.id, ctx.guild.name);
			response.setHeader('content-type', 'text/x-opml; charset=utf-8');
			response.setHeader('content-disposition', `attachment; filename="feeds-${ctx.guild.id}.opml"`);
			response.status(200).respond(opml);
		});
	}
}
