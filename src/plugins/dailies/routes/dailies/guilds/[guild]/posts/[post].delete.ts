import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { postIdOf, postView, sendPostError, sendUnknownPost } from '../../../../../lib/posts/api.ts';

/** `DELETE /dailies/guilds/:guild/posts/:post`: removes a post and its run history. 200 `{post}`; 404 `dailiesUnknownPost`. */
export class DailiesPostDeleteRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostDelete', route: 'dailies/guilds/[guild]/posts/[post]', methods: ['DELETE'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/posts/[post]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const postId = postIdOf(request);
			if (postId === null) return sendUnknownPost(response, request);
			const service = this.container.dailiesPosts;
			try {
				const post = await service.remove(ctx.guild.id, postId);
				response.json({ post: postView(post, { timeZone: service.timeZoneOf(post), channelId: service.channelOf(post) }, null) });
			} catch (error) {
				if (sendPostError(response, error)) return;
				throw error;
			}
		});
	}
}
