import { Route } from '@sapphire/plugin-api';
import { parseBody, requireGuildManager, runSafely } from '../../../../../../../../core/api/index.ts';
import { entryView, pathParam, ReverseBody, reply, sendMileageError } from '../../../../../_shared.ts';

/**
 * `POST /mileage/guilds/:guild/events/:event/reverse` `{reason}`: reverses a ledger entry of this guild, once.
 * 201 `{entry, total}`; 400 field errors; 404 `mileage_unknown_event` (unknown, or another guild's); 409
 * `mileage_already_reversed` / `mileage_reversal_of_reversal`. Nothing is written on error.
 */
export class MileageReversePostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageReversePost', route: 'mileage/guilds/[guild]/events/[event]/reverse', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/events/[event]/reverse', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const body = parseBody(request, response, ReverseBody);
			if (!body) return;
			const raw = pathParam(request, 'event');
			const eventId = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
			// An id that cannot exist is as unknown as one that does not.
			if (!(eventId > 0)) return reply(response, 'mileage_unknown_event', `There is no mileage event #${raw} in this server.`);
			try {
				const result = await this.container.mileage.reverse(ctx.guild.id, eventId, body.reason, ctx.session.userId);
				response.status(201).json({ entry: entryView(result.entry), total: result.change.after });
			} catch (error) {
				if (sendMileageError(response, error)) return;
				throw error;
			}
		});
	}
}
