import { Route } from '@sapphire/plugin-api';
import { nextRunView, runPostRoute } from '../../../../../../lib/posts/api.ts';

/**
 * `POST /dailies/guilds/:guild/posts/:post/skip-next` (no body): records the next run as skipped. 200 `{skipped,
 * nextRun}`; 404 `dailies_unknown_post`; 409 `dailies_nothing_to_skip`.
 */
export class DailiesPostSkipNextRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostSkipNext', route: 'dailies/guilds/[guild]/posts/[post]/skip-next', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runPostRoute('dailies/guilds/[guild]/posts/[post]/skip-next', request, response, async (ctx, postId) => {
			const service = this.container.dailiesPosts;
			const skipped = await service.skipNext(ctx.guild.id, postId, ctx.member.id);
			const post = await service.get(ctx.guild.id, postId);
			response.json({
				skipped: nextRunView({ ...skipped, timeZone: service.timeZoneOf(post), skipped: true }),
				nextRun: nextRunView(await service.nextRun(post))
			});
		});
	}
}
