import { once } from 'node:events';
import { Route } from '@sapphire/plugin-api';
import { z } from 'zod';
import { requireGuildManager, runSafely, sendFieldErrors } from '../../../../../../core/api/index.ts';
import { formatCsvRow, LEDGER_HEADER, TOTALS_HEADER } from '../../../../lib/csv.ts';
import { ledgerPages, totalPages } from '../../../../lib/export.ts';

const Query = z.object({ kind: z.enum(['totals', 'ledger']).default('totals') });

/** Writes a chunk, waiting for the socket to drain when its buffer is full; false once the client went away. */
async function write(response: Route.Response, chunk: string): Promise<boolean> {
	if (response.destroyed) return false;
	if (response.write(chunk)) return true;
	const waiting = new AbortController();
	try {
		await Promise.race([once(response, 'drain', { signal: waiting.signal }), once(response, 'close', { signal: waiting.signal })]);
	} finally {
		// Drop the listener that lost the race, so long exports do not pile them up.
		waiting.abort();
	}
	return !response.destroyed;
}

/** Each page of rows as CSV text. */
async function* csvPages<T>(pages: AsyncGenerator<T[]>, cells: (row: T) => Parameters<typeof formatCsvRow>[0]): AsyncGenerator<string> {
	for await (const page of pages) yield page.map((row) => formatCsvRow(cells(row))).join('');
}

/**
 * `GET /mileage/guilds/:guild/export.csv?kind=totals|ledger`: the guild's totals (`user_id,points`, non-zero, by
 * user id; buffered points are flushed first) or its whole ledger (`id,user_id,points,reason,…`, by member then
 * entry), **streamed**: one keyset page (2,000 rows) is read, written and released at a time, with backpressure.
 * Both files import as they are (`POST …/import`).
 */
export class MileageExportGetRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'mileageExportGet', route: 'mileage/guilds/[guild]/export.csv', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('mileage/guilds/[guild]/export.csv', response, async () => {
			const ctx = await requireGuildManager(request, response);
			if (!ctx) return;
			const query = Query.safeParse(request.query);
			if (!query.success) return sendFieldErrors(response, query.error);
			const { kind } = query.data;
			if (kind === 'totals') await this.container.mileage.flush(true);
			const em = this.container.orm.em.fork();
			const date = new Date().toISOString().slice(0, 10);
			const pages =
				kind === 'totals'
					? csvPages(totalPages(em, ctx.guild.id), (row) => [row.userId, row.points])
					: csvPages(ledgerPages(em, ctx.guild.id), (row) => [
							row.id,
							row.userId,
							row.delta,
							row.reason,
							row.actorId,
							row.note,
							row.reversesEventId,
							row.createdAt.toISOString()
						]);
			// The first page is read before the status line: a database that is down still gets its 503.
			let next = await pages.next();
			response.statusCode = 200;
			response.setHeader('Content-Type', 'text/csv; charset=utf-8');
			response.setHeader('Content-Disposition', `attachment; filename="mileage-${ctx.guild.id}-${kind}-${date}.csv"`);
			try {
				if (!(await write(response, formatCsvRow(kind === 'totals' ? TOTALS_HEADER : LEDGER_HEADER)))) return;
				for (; !next.done; next = await pages.next()) {
					if (!(await write(response, next.value))) return;
				}
				response.end();
			} catch (error) {
				// The status line is sent: cut the connection so the client sees a broken download, not a short file.
				this.container.log.error({ err: error, guildId: ctx.guild.id, kind }, 'mileage export failed mid-stream');
				response.destroy();
			}
		});
	}
}
