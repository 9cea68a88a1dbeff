import { addErrorMapper, type IdentifiedError } from '../errors.ts';

/** What a person is told when a command or request could not reach the database. */
export const DATABASE_UNAVAILABLE_MESSAGE =
	'The database is unreachable right now, so this could not be done. Please try again in a minute.';

// SQLSTATE classes and codes that mean "the server is not there for us" rather than "this query is wrong":
// 08 connection exception, 57014 query canceled (statement_timeout), 57P01–57P05 shutdown / cannot connect now /
// idle timeouts, 53300 too many connections.
const UNAVAILABLE_SQLSTATES = /^(08|57014$|57P0[1-5]$|53300$)/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
// What pg and pg-pool say when a connection or an answer does not come (they carry no code); the first is the
// read timeout of the bot's pool (src/core/database/timeouts.ts).
const UNAVAILABLE_MESSAGES =
	/Query read timeout|timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|terminating connection/;
// MikroORM's wrappers of driver errors carry the driver's error as `cause`; these names say which side failed.
const DATABASE_ERROR_NAMES = /^(ConnectionException|DriverException|DatabaseError)$/;

/**
 * Whether an error (or one of its causes; MikroORM wraps driver errors) means the database could not be reached
 * or did not answer in time, as opposed to a query that failed on its own. Redis errors do not count.
 * `fromDatabase`: the error is known to come from the database driver (a raw `pg` error, which no wrapper names).
 */
export function isDatabaseUnavailable(error: unknown, fromDatabase = false): boolean {
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
		const { code, message, name } = current as { code?: unknown; message?: unknown; name?: unknown };
		if (typeof name === 'string' && DATABASE_ERROR_NAMES.test(name)) fromDatabase = true;
		if (typeof code === 'string' && UNAVAILABLE_SQLSTATES.test(code)) return true;
		if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
		if (fromDatabase && typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
		current = (current as { cause?: unknown }).cause;
	}
	return false;
}

/**
 * The error renderer's mapper for database outages: a 503 `service_unavailable` whose message tells a person the
 * database is unreachable and to try again.
 */
export function databaseErrorMapper(error: unknown): IdentifiedError | null {
	return isDatabaseUnavailable(error) ? { identifier: 'service_unavailable', status: 503, message: DATABASE_UNAVAILABLE_MESSAGE } : null;
}

let registered = false;

/** Adds {@link databaseErrorMapper} to the one error renderer (once per process, however many bots start in it). */
export function registerDatabaseErrors(): void {
	if (registered) return;
	registered = true;
	addErrorMapper(databaseErrorMapper);
}
