import { Route } from '@sapphire/plugin-api';
import { jsonBody, requireGuildManager, runSafely, sendError, sendFieldErrors } from '../../../../../../core/api/index.ts';
import { membersByIds } from '../../../../../../core/members.ts';
import type { ImportAnswer, ImportPreview } from '../../../../contract.ts';
import { type CsvRowError, importPreview, parseImportCsv } from '../../../../lib/csv.ts';
import { badParameter, IMPORT_BODY_LIMIT, ImportJsonBody, mileageJobs, sendJobRunning } from '../../../_shared.ts';

/** Field errors keyed `rows.<row>.<column>` (`rows.<row>` for a whole record), as every other 400 answers them. */
function fieldsOf(errors: readonly CsvRowError[]): Record<string, string[]> {
	const fields: Record<string, string[]> = {};
	for (const error of errors) {
		const key = error.field ? `rows.${error.row}.${error.field}` : `rows.${error.row}`;
		const messages = fields[key] ?? [];
		messages.push(error.message);
		fields[key] = messages;
	}
	return fields;
}

/**
 * `POST /mileage/guilds/:guild/import[?dryRun=1]` with a CSV body `user_id,points[,note]` — raw `text/csv` (up to
 * 16 MB, this route's own limit) or JSON `{csv}`. Every row is validated first: any error rejects the whole file
 * with 400 `invalid_body`, `errors: [{row, field, message}]` and `fields`, and nothing is written. A dry run answers
 * 200 `{dryRun: true, preview}`; otherwise 202 `{job, preview}` and the rows are added as `import` ledger events in
 * chunks of 500 (one transaction each) by a background job whose progress `GET …/jobs/:job` reports. Points are
 * added to what members have; 409 `mileage_job_running` while another import runs in the guild.
 */
export class MileageImportPostRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, {
			...options,
			name: 'mileageImportPost',
			route: 'mileage/guilds/[guild]/import',
			methods: ['POST'],
			maximumBodyLength: IMPORT_BODY_LIMIT
		});
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/import', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const dryRunParam = request.query.dryRun;
			const dryRunValue = Array.isArray(dryRunParam) ? dryRunParam[0] : dryRunParam;
			if (dryRunValue !== undefined && !['', '0', '1', 'true', 'false'].includes(dryRunValue)) {
				return badParameter(response, 'dryRun', 'must be 1 or 0');
			}
			const dryRun = dryRunValue === '' || dryRunValue === '1' || dryRunValue === 'true';

			const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
			let text: string;
			if (type === 'text/csv' || type === 'text/plain') {
				text = await request.readBodyText();
			} else if (type === '' || type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) {
				const body = ImportJsonBody.safeParse(jsonBody(request));
				if (!body.success) return sendFieldErrors(response, body.error);
				text = body.data.csv;
			} else {
				return sendError(response, 'unsupported_media_type', { accepted: ['text/csv', 'application/json'] });
			}

			const parsed = parseImportCsv(text);
			if (parsed.errorCount > 0) {
				return sendError(response, 'invalid_body', {
					fields: fieldsOf(parsed.errors),
					errors: parsed.errors,
					errorCount: parsed.errorCount
				});
			}
			// Asked of Discord by id (100 per gateway request), not read from the cache: a large guild is never cached whole.
			const ids = new Set(parsed.rows.map((row) => row.userId));
			const known = await membersByIds(ctx.guild, ids);
			const unknown = new Set([...ids].filter((id) => !known.has(id)));
			// Points of people the bot does not know as members are still imported (they may have left): a warning only.
			const preview: ImportPreview = { ...importPreview(parsed.rows), unknownMembers: unknown.size, ignoredColumns: parsed.ignoredColumns };
			if (dryRun) return response.json({ dryRun: true, preview } satisfies ImportAnswer);

			const guildId = ctx.guild.id;
			const actorId = ctx.session.userId;
			const rows = parsed.rows.map(({ userId, points, note }) => ({ userId, points, note }));
			const started = await mileageJobs().start(guildId, 'import', rows.length, async (progress) => {
				const result = await this.container.mileage.import(guildId, rows, actorId, (done) => progress(done));
				return { imported: result.imported, members: preview.members, points: preview.points };
			});
			if (!('job' in started)) return sendJobRunning(response, started.running);
			response.setHeader('Location', `jobs/${started.job.id}`);
			response.status(202).json({ job: started.job, preview } satisfies ImportAnswer);
		});
	}
}
