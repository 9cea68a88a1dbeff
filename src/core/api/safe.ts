import type { ApiResponse } from '@sapphire/plugin-api';
import { sendError } from './errors.ts';
import { getApiServices } from './services.ts';

/**
 * Runs one pipeline step or route body; an unexpected error is logged (with the step's name, never the request's
 * headers) and answered 503 `service_unavailable` — plugin-api would otherwise answer 500 with the error's message.
 */
export async function runSafely(step: string, response: ApiResponse, fn: () => unknown): Promise<void> {
	try {
		await fn();
	} catch (error) {
		getApiServices().logger.error({ err: error, step }, 'API request step failed');
		sendError(response, 'service_unavailable');
	}
}
