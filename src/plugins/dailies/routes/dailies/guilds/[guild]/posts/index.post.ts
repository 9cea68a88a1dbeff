import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { postViewOf } from '../../../../../lib/posts/api.ts';
import { readPostSpec } from '../../../../_shared.ts';

/**
 * `POST /dailies/guilds/:guild/posts` `{time, message | prompts, weekdays?, channelId?, timeZone?, missedPolicy?,
 * graceMinutes?, enabled?}`: adds a daily post. 201 `{post}`; 400 `invalid_body` with field errors (invalid time or
 * zone, empty prompts, text over Discord's 2000 characters, a channel the bot cannot post in, no channel while the
 * server has no daily channel); 409 `dailies_post_limit` at the host's limit.
 */
export class DailiesPostsCreateRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostsCreate', route: 'dailies/guilds/[guild]/posts', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/posts', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const spec = readPostSpec(request, response, ctx.guild);
			if (!spec) return;
			const service = this.container.dailiesPosts;
			const post = await service.add(ctx.guild.id, spec, ctx.member.id);
			const next = post.enabled ? await service.nextRun(post) : null;
			response.status(201).json({ post: postViewOf(service, post, next) });
		});
	}
}
