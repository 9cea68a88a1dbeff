import type { ApiResponse } from '@sapphire/plugin-api';
import { sendErrorOf } from './errors.ts';
import { getApiServices } from './services.ts';

/**
 * Runs one pipeline step or route body. A thrown error is answered in its API form (see `sendErrorOf`): a
 * user-facing error with its identifier and status, a dependency that is down with 503, and anything else — a
 * bug — with 500 `internal_error`, logged with the step or route (never the request's headers).
 */
export async function runSafely(step: string, response: ApiResponse, fn: () => unknown): Promise<void> {
	try {
		await fn();
	} catch (error) {
		const { status, bug } = sendErrorOf(response, error);
		if (bug) getApiServices().logger.error({ err: error, route: step }, 'API route failed');
		else if (status >= 500) getApiServices().logger.warn({ err: error, route: step, status }, 'API route could not reach a dependency');
	}
}
