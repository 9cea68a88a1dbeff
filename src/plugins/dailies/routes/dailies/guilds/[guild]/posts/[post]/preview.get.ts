import { Route } from '@sapphire/plugin-api';
import type { PostPreviewAnswer } from '../../../../../../contract.ts';
import { nextRunView, runPostRoute } from '../../../../../../lib/posts/api.ts';

/**
 * `GET /dailies/guilds/:guild/posts/:post/preview`: `{message, channelId, nextRun}` — `message` is exactly the body the
 * next run sends (the same renderer), less the nonce.
 */
export class DailiesPostPreviewRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostPreview', route: 'dailies/guilds/[guild]/posts/[post]/preview', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runPostRoute('dailies/guilds/[guild]/posts/[post]/preview', request, response, async (ctx, postId) => {
			const view = await this.container.dailiesPosts.preview(ctx.guild.id, postId);
			response.json({
				postId: String(view.post.id),
				message: view.payload,
				channelId: view.channelId,
				nextRun: nextRunView(view.next ? { ...view.next, timeZone: view.timeZone, skipped: false } : null)
			} satisfies PostPreviewAnswer);
		});
	}
}
