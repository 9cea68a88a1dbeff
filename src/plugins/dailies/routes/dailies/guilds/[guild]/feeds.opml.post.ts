import { Route } from '@sapphire/plugin-api';
import { parseBody, requireGuildManager, runSafely } from '../../../../../../core/api/index.ts';
import type { OpmlImportAnswer } from '../../../../contract.ts';
import { feedView, OPML_BODY_LIMIT, OpmlImportBody, sendDailiesError } from '../../../_shared.ts';

/**
 * `POST /dailies/guilds/:guild/feeds.opml` `{opml, channels?, defaultChannelId?}`: imports feeds. `channels` maps the
 * exporting server's channel ids (the `facet:channelId` of each outline) to this server's; an unmapped outline goes
 * to its own channel if this server has it, else to `defaultChannelId`. All or nothing: a malformed document, an
 * unmapped channel or the limit answers 400/409 and writes nothing. Imported feeds post nothing old (their first
 * poll marks what is there as seen). 201 `{imported, skipped}`.
 */
export class DailiesFeedsOpmlPostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, {
			...options,
			name: 'dailiesFeedsOpmlPost',
			route: 'dailies/guilds/[guild]/feeds.opml',
			methods: ['POST'],
			maximumBodyLength: OPML_BODY_LIMIT
		});
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('dailies/guilds/[guild]/feeds.opml', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const body = parseBody(request, response, OpmlImportBody);
			if (!body) return;
			try {
				const result = await this.container.dailiesFeeds.importOpml(
					ctx.guild.id,
					body.opml,
					{ ...(body.channels ? { channels: body.channels } : {}), defaultChannelId: body.defaultChannelId ?? null },
					ctx.member.id
				);
				response.status(201).json({ imported: result.imported.map(feedView), skipped: result.skipped } satisfies OpmlImportAnswer);
			} catch (error) {
				if (sendDailiesError(response, error)) return;
				throw error;
			}
		});
	}
}
