import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { reply, sendJobRunning, startTierSync } from '../../../../_shared.ts';

/**
 * `POST /mileage/guilds/:guild/tiers/sync`: re-applies the tiers to every member with points and every holder of a
 * tier role, clearing recorded role problems first. 202 `{job}` (poll `GET …/jobs/:job`); 409 `mileage_no_tiers`
 * without tiers, `mileage_job_running` while a sync runs. Takes no body.
 */
export class MileageTierSyncPostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageTierSyncPost', route: 'mileage/guilds/[guild]/tiers/sync', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/tiers/sync', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			if (this.container.mileageTiers.list(ctx.guild.id).length === 0) {
				return reply(response, 'mileage_no_tiers', 'This server has no tiers to sync.');
			}
			const started = await startTierSync(ctx.guild.id);
			if (!('job' in started)) return sendJobRunning(response, started.running);
			response.setHeader('Location', `jobs/${started.job.id}`);
			response.status(202).json({ job: started.job });
		});
	}
}
