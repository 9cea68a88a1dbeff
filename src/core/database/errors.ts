import { UserError } from '@sapphire/framework';

/** Identifier of {@link DatabaseUnavailableError}, for renderers that switch on identifiers. */
export const DATABASE_UNAVAILABLE = 'databaseUnavailable';

/** What a person is told when a command could not reach the database. */
export const DATABASE_UNAVAILABLE_MESSAGE =
	'The database is unreachable right now, so this could not be done. Please try again in a minute.';

/** The database did not answer in time or refused the connection: a dependency is down, not a bug. */
export class DatabaseUnavailableError extends UserError {
	public constructor(cause?: unknown) {
		super({ identifier: DATABASE_UNAVAILABLE, message: DATABASE_UNAVAILABLE_MESSAGE, context: {} });
		this.cause = cause;
	}
}

// SQLSTATE classes and codes that mean "the server is not there for us" rather than "this query is wrong":
// 08 connection exception, 57014 query canceled (statement_timeout), 57P01–57P05 shutdown / cannot connect now /
// idle timeouts, 53300 too many connections.
const UNAVAILABLE_SQLSTATES = /^(08|57014$|57P0[1-5]$|53300$)/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
// What pg and pg-pool say when a connection or an answer does not come (they carry no code).
const UNAVAILABLE_MESSAGES = [
	'Query read timeout',
	'timeout exceeded when trying to connect',
	'Connection terminated',
	'connection timeout',
	'Client has encountered a connection error and is not queryable',
	'Client was closed and is not queryable',
	'terminating connection'
];

/**
 * Whether an error (or one of its causes; MikroORM wraps driver errors) means the database could not be reached
 * or did not answer in time, as opposed to a query that failed on its own.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
	for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
		if (current instanceof DatabaseUnavailableError) return true;
		const { code, message } = current as { code?: unknown; message?: unknown };
		if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_CODES.has(code))) return true;
		if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((text) => message.includes(text))) return true;
		current = (current as { cause?: unknown }).cause;
	}
	return false;
}

/** The error a person should be shown: a database outage becomes {@link DatabaseUnavailableError}, anything else as is. */
export function asUserFacing(error: unknown): unknown {
	return isDatabaseUnavailable(error) && !(error instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(error) : error;
}
