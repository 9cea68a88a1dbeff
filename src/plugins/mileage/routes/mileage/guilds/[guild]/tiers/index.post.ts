import { Route } from '@sapphire/plugin-api';
import { FacetError, parseBody, requireGuildManager, runSafely, sendErrorOf } from '../../../../../../../core/api/index.ts';
import { startTierSync, TierBody, tierView } from '../../../../_shared.ts';

/**
 * `POST /mileage/guilds/:guild/tiers` `{name, threshold, roleId, confirm?}`: adds a tier; the role must be one of the
 * guild's own (not `@everyone`, not managed by an integration), and one with moderator or admin permissions needs
 * `confirm: true` (else 400 `mileage_dangerous_tier_role`). 201 `{tier, sync}` — `sync` is the tier sync job started
 * so members already past the threshold get the role; 400 field errors; 409 `mileage_duplicate_tier`.
 */
export class MileageTiersPostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageTiersPost', route: 'mileage/guilds/[guild]/tiers', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/tiers', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const body = parseBody(request, response, TierBody);
			if (!body) return;
			try {
				this.container.mileageTiers.checkNew(ctx.guild.id, body, { confirm: body.confirm ?? false, refuseManaged: true });
				const tier = await this.container.mileageTiers.add(ctx.guild.id, {
					name: body.name,
					threshold: body.threshold,
					roleId: body.roleId
				});
				const sync = await startTierSync(ctx.guild.id);
				response.status(201).json({ tier: tierView(ctx.guild, tier), sync: 'job' in sync ? sync.job : sync.running });
			} catch (error) {
				if (error instanceof FacetError) return sendErrorOf(response, error);
				throw error;
			}
		});
	}
}
