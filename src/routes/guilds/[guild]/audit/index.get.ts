import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import type { AuditAnswer } from '../../../../core/api/contract.ts';
import { requireGuildManager, runSafely, sendFieldErrors } from '../../../../core/api/index.ts';
import { auditView } from '../../../../core/api/plugin-views.ts';

const Query = z.object({
	limit: z.coerce.number().int().min(1).max(100).default(25),
	before: z.coerce.number().int().positive().optional(),
	plugin: z.string().max(32).optional()
});

/** `GET /guilds/:guild/audit?limit&before&plugin`: configuration changes, newest first. */
export class GuildAuditListRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildAuditList', route: 'guilds/[guild]/audit', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/audit', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const query = Query.safeParse(request.query);
			if (!query.success) return sendFieldErrors(response, query.error);
			const entries = await this.container.plugins.audit(ctx.guild.id, query.data);
			response.json({ entries: entries.map(auditView) } satisfies AuditAnswer);
		});
	}
}
