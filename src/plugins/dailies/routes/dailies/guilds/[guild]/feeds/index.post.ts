import { Route } from '@sapphire/plugin-api';
import { parseBody, requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import type { FeedAddAnswer, FeedDryRunAnswer } from '../../../../../contract.ts';
import { FeedBody, feedInput, feedView, itemView, sendDailiesError } from '../../../../_shared.ts';

/**
 * `POST /dailies/guilds/:guild/feeds` `{url, channelId, template?, format?, include?, exclude?, catchUp?, maxPerPoll?,
 * intervalMinutes?, dryRun?}`: fetches the URL once; with `dryRun` answers 200 `{title, kind, url, items, newest,
 * preview}` and saves nothing, else saves the feed (every item seen, the newest posted) and answers 201
 * `{feed, postedMessageId, preview}`. 400 field errors (invalid URL, private address, not a feed, template);
 * 409 `dailies_duplicate_feed` / `dailies_feed_limit`.
 */
export class DailiesFeedsPostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'dailiesFeedsPost', route: 'dailies/guilds/[guild]/feeds', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const body = parseBody(request, response, FeedBody);
			if (!body) return;
			const service = this.container.dailiesFeeds;
			const input = feedInput(body);
			try {
				if (body.dryRun) {
					service.checkInput(ctx.guild.id, input);
					const inspection = await service.inspect(input.url);
					response.json({
						url: inspection.url,
						kind: inspection.kind,
						title: inspection.title,
						items: inspection.items,
						newest: itemView(inspection.newest),
						preview: service.previewInput(ctx.guild.id, input, inspection)
					} satisfies FeedDryRunAnswer);
					return;
				}
				const added = await service.add(ctx.guild.id, input, ctx.member.id);
				response
					.status(201)
					.json({ feed: feedView(added.feed), postedMessageId: added.postedMessageId, preview: added.preview } satisfies FeedAddAnswer);
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
