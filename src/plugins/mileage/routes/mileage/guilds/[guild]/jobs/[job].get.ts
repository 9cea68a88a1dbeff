import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { mileageJobs, pathParam, reply } from '../../../../_shared.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `GET /mileage/guilds/:guild/jobs/:job`: progress of an import or tier sync, `{job: {state, done, total, …}}`,
 * from Redis (any API process answers); 404 `not_found` for an unknown, expired or other guild's job.
 */
export class MileageJobGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageJobGet', route: 'mileage/guilds/[guild]/jobs/[job]', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/jobs/[job]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const id = pathParam(request, 'job');
			const job = UUID.test(id) ? await mileageJobs().get(ctx.guild.id, id) : null;
			if (!job) return reply(response, 'not_found', 'There is no such job in this server (jobs are kept for a day).');
			response.json({ job });
		});
	}
}
