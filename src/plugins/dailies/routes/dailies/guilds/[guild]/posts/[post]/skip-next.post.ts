import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { nextRunView, postIdOf, sendPostError, sendUnknownPost } from '../../../../../../lib/posts/api.ts';

/**
 * `POST /dailies/guilds/:guild/posts/:post/skip-next` (no body): records the next run as skipped. 200 `{skipped,
 * nextRun}`; 404 `dailiesUnknownPost`; 409 `dailiesNothingToSkip`.
 */
export class DailiesPostSkipNextRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostSkipNext', route: 'dailies/guilds/[guild]/posts/[post]/skip-next', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/posts/[post]/skip-next', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const postId = postIdOf(request);
			if (postId === null) return sendUnknownPost(response, request);
			const service = this.container.dailiesPosts;
			try {
				const skipped = await service.skipNext(ctx.guild.id, postId, ctx.member.id);
				const post = await service.get(ctx.guild.id, postId);
				const timeZone = service.timeZoneOf(post);
				response.json({
					skipped: nextRunView({ ...skipped, timeZone, skipped: true }),
					nextRun: nextRunView(await service.nextRun(post))
				});
			} catch (error) {
				if (sendPostError(response, error)) return;
				throw error;
			}
		});
	}
}
