import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { postIdOf, postView, runView, sendPostError, sendUnknownPost } from '../../../../../lib/posts/api.ts';

/** `GET /dailies/guilds/:guild/posts/:post`: one post with its next run and its last 20 runs (posted, late, skipped, why). */
export class DailiesPostGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostGet', route: 'dailies/guilds/[guild]/posts/[post]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/posts/[post]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const postId = postIdOf(request);
			if (postId === null) return sendUnknownPost(response, request);
			const service = this.container.dailiesPosts;
			try {
				const post = await service.get(ctx.guild.id, postId);
				const next = post.enabled ? await service.nextRun(post) : null;
				const runs = await service.runs(ctx.guild.id, postId);
				response.json({
					post: postView(post, { timeZone: service.timeZoneOf(post), channelId: service.channelOf(post) }, next),
					runs: runs.map(runView)
				});
			} catch (error) {
				if (sendPostError(response, error)) return;
				throw error;
			}
		});
	}
}
