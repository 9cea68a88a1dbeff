import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { pathParam, reply, sendMileageError, startTierSync, tierView } from '../../../../_shared.ts';

/**
 * `DELETE /mileage/guilds/:guild/tiers/:tier`: removes a tier. 200 `{tier, sync}` (a sync job re-applies the
 * remaining tiers); 404 `mileage_unknown_tier` (unknown, or another guild's). Takes no body.
 */
export class MileageTierDeleteRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageTierDelete', route: 'mileage/guilds/[guild]/tiers/[tier]', methods: ['DELETE'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/tiers/[tier]', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const raw = pathParam(request, 'tier');
			const tierId = /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
			if (tierId === 0) return reply(response, 'mileage_unknown_tier', `There is no tier #${raw} in this server.`);
			try {
				const tier = await this.container.mileageTiers.remove(ctx.guild.id, tierId);
				const sync = await startTierSync(ctx.guild.id);
				response.json({ tier: tierView(ctx.guild, tier), sync: 'job' in sync ? sync.job : sync.running });
			} catch (error) {
				if (sendMileageError(response, error)) return;
				throw error;
			}
		});
	}
}
