import { Route } from '@sapphire/plugin-api';
import { parseBody } from '../../../../../../../core/api/index.ts';
import { postViewOf, runPostRoute } from '../../../../../lib/posts/api.ts';
import { PostSwitch } from '../../../../../lib/posts/input.ts';

/**
 * `PATCH /dailies/guilds/:guild/posts/:post` `{enabled}`: switches a post off or on (on again, it starts from now: runs
 * due while it was off are neither posted nor recorded). 200 `{post}`; 400 `invalid_body`; 404 `dailies_unknown_post`.
 */
export class DailiesPostPatchRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostPatch', route: 'dailies/guilds/[guild]/posts/[post]', methods: ['PATCH'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runPostRoute('dailies/guilds/[guild]/posts/[post]', request, response, async (ctx, postId) => {
			const body = parseBody(request, response, PostSwitch);
			if (!body) return;
			const service = this.container.dailiesPosts;
			const post = await service.setEnabled(ctx.guild.id, postId, body.enabled);
			response.json({ post: postViewOf(service, post, post.enabled ? await service.nextRun(post) : null) });
		});
	}
}
