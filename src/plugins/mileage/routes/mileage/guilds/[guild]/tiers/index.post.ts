import { Route } from '@sapphire/plugin-api';
import { parseBody, requireGuildManager, runSafely, sendError } from '../../../../../../../core/api/index.ts';
import { sendMileageError, startTierSync, TierBody, tierView } from '../../../../_shared.ts';

/**
 * `POST /mileage/guilds/:guild/tiers` `{name, threshold, roleId}`: adds a tier; the role must be one of the guild's
 * own (not `@everyone`, not managed by an integration). 201 `{tier, sync}` — `sync` is the tier sync job started so
 * members already past the threshold get the role; 400 field errors; 409 `mileageDuplicateTier`.
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
			const role = ctx.guild.roles.cache.get(body.roleId);
			const problem = !role
				? 'is not a role of this server'
				: role.id === ctx.guild.id
					? 'cannot be @everyone'
					: role.managed
						? 'is managed by an integration and cannot be assigned'
						: null;
			if (problem) return sendError(response, 'invalid_body', { fields: { roleId: [problem] } });
			try {
				const tier = await this.container.mileageTiers.add(ctx.guild.id, body);
				const sync = await startTierSync(ctx.guild.id);
				response.status(201).json({ tier: tierView(ctx.guild, tier), sync: 'job' in sync ? sync.job : sync.running });
			} catch (error) {
				if (sendMileageError(response, error)) return;
				throw error;
			}
		});
	}
}
