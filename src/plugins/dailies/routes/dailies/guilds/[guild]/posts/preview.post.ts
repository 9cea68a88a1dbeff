import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import type { PostDraftPreviewAnswer } from '../../../../../contract.ts';
import { nextRunView } from '../../../../../lib/posts/api.ts';
import { readPostSpec } from '../../../../_shared.ts';

/**
 * `POST /dailies/guilds/:guild/posts/preview` (the body of an add): what that post would send (the sender's renderer),
 * where, and its first run after now in its zone. Saves nothing. 200 `{message, channelId, nextRun}`; 400
 * `invalid_body` with the field errors an add would get.
 */
export class DailiesPostsDraftPreviewRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesPostsDraftPreview', route: 'dailies/guilds/[guild]/posts/preview', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/posts/preview', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const spec = readPostSpec(request, response, ctx.guild);
			if (!spec) return;
			const view = this.container.dailiesPosts.draftPreview(ctx.guild.id, spec);
			response.json({
				message: view.payload,
				channelId: view.channelId,
				nextRun: nextRunView(view.next ? { ...view.next, timeZone: view.timeZone, skipped: false } : null)
			} satisfies PostDraftPreviewAnswer);
		});
	}
}
