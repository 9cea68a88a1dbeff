import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { mileageJobs } from '../../../../_shared.ts';

/** `GET /mileage/guilds/:guild/jobs`: the guild's recent imports and tier syncs, newest first. */
export class MileageJobsGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageJobsGet', route: 'mileage/guilds/[guild]/jobs', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/jobs', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			response.json({ jobs: await mileageJobs().list(ctx.guild.id) });
		});
	}
}
