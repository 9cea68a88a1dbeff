import { Route } from '@sapphire/plugin-api';
import { postViewOf, runPostRoute } from '../../../../../lib/posts/api.ts';

/** `DELETE /dailies/guilds/:guild/posts/:post`: removes a post and its run history. 200 `{post}`; 404 `dailies_unknown_post`. */
export class DailiesPostDeleteRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostDelete', route: 'dailies/guilds/[guild]/posts/[post]', methods: ['DELETE'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runPostRoute('dailies/guilds/[guild]/posts/[post]', request, response, async (ctx, postId) => {
			const service = this.container.dailiesPosts;
			const post = await service.remove(ctx.guild.id, postId);
			response.json({ post: postViewOf(service, post, null) });
		});
	}
}
