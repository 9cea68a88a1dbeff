import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';

/** How long the bot waits on its database before it gives up and says the database is unreachable. */
export interface DatabaseTimeouts {
	/** Longest a statement may run, enforced by the server (`statement_timeout`) and, a little later, by the client. */
	statementMs: number;
	/** Longest wait for a pooled connection: for a free one, and for a new one to connect and authenticate. */
	acquireMs: number;
}

/**
 * Defaults: a command must be acknowledged within Discord's 3 s and an API route should answer within 2 s, so no
 * single wait on the database may take longer than that. Background work (flushes, rebuilds, exports) is paged
 * into short statements; migrations run without these limits.
 */
export const DefaultDatabaseTimeouts: DatabaseTimeouts = { statementMs: 1_500, acquireMs: 1_000 };

/** Extra time the client gives the server to report its own statement timeout before the client stops waiting. */
export const CLIENT_READ_GRACE_MS = 200;

/** The `pg` error for a query whose answer did not arrive within `query_timeout`. */
const READ_TIMEOUT_MESSAGE = 'Query read timeout';

/**
 * A `pg` client that drops its connection when a query's answer does not arrive in time. `pg` itself only stops
 * waiting: the query stays in flight on the connection, which goes back to the pool and blocks whatever runs on it
 * next; a queued ROLLBACK is discarded, leaving a transaction open on the server that the next borrower would join.
 * Destroying the socket makes the pool discard the client and the server roll back.
 */
export class TimedClient extends pg.Client {
	// biome-ignore lint/suspicious/noExplicitAny: pg's query() has many overloads; this only observes its result.
	public override query(...args: any[]): any {
		// biome-ignore lint/suspicious/noExplicitAny: see above.
		const result = (super.query as (...a: any[]) => any)(...args);
		if (result && typeof result.then === 'function') {
			(result as Promise<unknown>).catch((error: unknown) => {
				if (error instanceof Error && error.message === READ_TIMEOUT_MESSAGE) this.connection.stream.destroy();
			});
		}
		return result;
	}
}

/** The `pg` pool options that enforce {@link DatabaseTimeouts} (MikroORM passes `driverOptions` to the pool). */
export function poolTimeoutOptions(timeouts: DatabaseTimeouts) {
	return {
		Client: TimedClient,
		connectionTimeoutMillis: timeouts.acquireMs,
		statement_timeout: timeouts.statementMs,
		// A transaction left open by a borrower that went away must not hold its locks for long.
		idle_in_transaction_session_timeout: Math.max(5_000, timeouts.statementMs * 4),
		query_timeout: timeouts.statementMs + CLIENT_READ_GRACE_MS
	};
}

/**
 * One `select 1` on the bot's own pool (its timeouts apply), straight through `pg`: the database's round trip, not
 * the ORM's. An EntityManager fork costs more CPU than the query here (MikroORM's fork rewrites its configuration
 * and an environment variable each time), and /ping and /readyz need no identity map. Driver errors come raw: pass
 * `fromDatabase` to {@link isDatabaseUnavailable} when classifying them.
 */
export async function databaseRoundTrip(orm: MikroORM): Promise<void> {
	const pool = await orm.driver.getConnection().getNativeClient();
	await pool.query('select 1');
}
