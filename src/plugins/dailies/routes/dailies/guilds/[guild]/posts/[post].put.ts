import { Route } from '@sapphire/plugin-api';
import type { PostAnswer } from '../../../../../contract.ts';
import { postViewOf, runPostRoute } from '../../../../../lib/posts/api.ts';
import { readPostSpec } from '../../../../_shared.ts';

/**
 * `PUT /dailies/guilds/:guild/posts/:post` `{time, message | prompts, weekdays?, channelId?, timeZone?, missedPolicy?,
 * graceMinutes?}`: replaces what a post says and when (the body of an add; `enabled` is left to PATCH). Runs already
 * recorded stay: a date that was posted is not posted again at the new time. 200 `{post}`; 400 `invalid_body` with
 * field errors, nothing written; 404 `dailies_unknown_post`.
 */
export class DailiesPostPutRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostPut', route: 'dailies/guilds/[guild]/posts/[post]', methods: ['PUT'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runPostRoute('dailies/guilds/[guild]/posts/[post]', request, response, async (ctx, postId) => {
			// Every check of the body comes before the post is looked up: a bad body is 400 whichever post it names.
			const spec = readPostSpec(request, response, ctx.guild);
			if (!spec) return;
			const service = this.container.dailiesPosts;
			const post = await service.update(ctx.guild.id, postId, spec);
			response.json({ post: postViewOf(service, post, post.enabled ? await service.nextRun(post) : null) } satisfies PostAnswer);
		});
	}
}
