import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import type { PostsAnswer } from '../../../../../contract.ts';
import { postViewOf } from '../../../../../lib/posts/api.ts';

/** `GET /dailies/guilds/:guild/posts`: the guild's daily posts with their next run in local time, and the limit. */
export class DailiesPostsListRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostsList', route: 'dailies/guilds/[guild]/posts', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/posts', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const service = this.container.dailiesPosts;
			const posts = await service.list(ctx.guild.id);
			const views = [];
			for (const post of posts) {
				const next = post.enabled ? await service.nextRun(post) : null;
				views.push(postViewOf(service, post, next));
			}
			response.json({ posts: views, limit: service.options.maxPostsPerGuild } satisfies PostsAnswer);
		});
	}
}
