import { Route } from '@sapphire/plugin-api';
import { postViewOf, runPostRoute, runView } from '../../../../../lib/posts/api.ts';

/** `GET /dailies/guilds/:guild/posts/:post`: one post with its next run and its last 20 runs (posted, late, skipped, why). */
export class DailiesPostGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostGet', route: 'dailies/guilds/[guild]/posts/[post]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runPostRoute('dailies/guilds/[guild]/posts/[post]', request, response, async (ctx, postId) => {
			const service = this.container.dailiesPosts;
			const post = await service.get(ctx.guild.id, postId);
			const next = post.enabled ? await service.nextRun(post) : null;
			const runs = await service.runs(ctx.guild.id, postId);
			response.json({ post: postViewOf(service, post, next), runs: runs.map(runView) });
		});
	}
}
