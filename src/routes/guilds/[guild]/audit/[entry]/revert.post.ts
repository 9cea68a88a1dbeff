import { Route } from '@sapphire/plugin-api';
import type { RevertAnswer } from '../../../../../core/api/contract.ts';
import { requireGuildManager, runSafely, sendError } from '../../../../../core/api/index.ts';
import { auditView, serviceCall } from '../../../../../core/api/plugin-views.ts';
import type { AuditEntry } from '../../../../../core/plugins/service.ts';

/** `POST /guilds/:guild/audit/:entry/revert`: restores the value the entry replaced; the revert is audited too. */
export class GuildAuditRevertRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildAuditRevert', route: 'guilds/[guild]/audit/[entry]/revert', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds/[guild]/audit/[entry]/revert', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const raw = request.params.entry ?? '';
			const entryId = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
			if (!Number.isSafeInteger(entryId) || entryId <= 0)
				return sendError(response, 'invalid_request', { fields: { entry: ['must be an audit entry number'] } });
			// The entry the revert itself wrote (not the newest in the log, which a concurrent change may have added).
			let made: AuditEntry | null = null;
			const done = await serviceCall(response, async () => {
				({ entry: made } = await this.container.plugins.revert(ctx.guild.id, entryId, { id: ctx.session.userId, source: 'api' }));
			});
			if (done) response.json({ reverted: String(entryId), entry: made ? auditView(made) : null } satisfies RevertAnswer);
		});
	}
}
