import { Route } from '@sapphire/plugin-api';
import { requireGuildManager, runSafely } from '../../../../../../../core/api/index.ts';
import { tierView } from '../../../../_shared.ts';

/** `GET /mileage/guilds/:guild/tiers`: the tiers, lowest threshold first, with why a role cannot be assigned. */
export class MileageTiersGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageTiersGet', route: 'mileage/guilds/[guild]/tiers', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/tiers', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			response.json({ tiers: this.container.mileageTiers.list(ctx.guild.id).map((tier) => tierView(ctx.guild, tier)) });
		});
	}
}
