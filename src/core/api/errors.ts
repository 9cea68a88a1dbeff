import type { ApiResponse } from '@sapphire/plugin-api';
import type { z } from 'zod';
import { type CoreErrorIdentifier, CoreErrors, fieldErrorsOf, renderErrorBody } from '../errors.ts';

/**
 * The core's identifiers with their statuses, as the API answers them (`{ error: <identifier> }`). The vocabulary
 * itself (core and plugins, one style) lives in `src/core/errors.ts`; the dashboard holds the wording for people.
 */
export const ApiErrors = CoreErrors;

/** One of the core's identifiers. */
export type ApiErrorCode = CoreErrorIdentifier;

/**
 * Answers `{ error: code, ...extra }` with the status the identifier implies.
 * @example sendError(response, 'unknown_guild');
 */
export function sendError(response: ApiResponse, code: ApiErrorCode, extra: Record<string, unknown> = {}): void {
	if (response.writableEnded) return;
	response.status(ApiErrors[code]).json({ ...extra, error: code });
}

/**
 * Answers any error in its API form — a {@link FacetError} (core or plugin) or anything else carrying an identifier
 * and status with its own; a bug with 500 `internal_error`. Returns the status and whether it was a bug (the caller logs).
 */
export function sendErrorOf(response: ApiResponse, error: unknown): { status: number; bug: boolean } {
	const { status, body, bug } = renderErrorBody(error);
	if (!response.writableEnded && !response.headersSent) response.status(status).json(body);
	return { status, bug };
}

/**
 * Answers 400 `{ error: 'invalid_body', fields: { 'path.to.field': ['message', …] } }` for a failed zod parse.
 * @example
 * const parsed = Schema.safeParse(body);
 * if (!parsed.success) return sendFieldErrors(response, parsed.error);
 */
export function sendFieldErrors(response: ApiResponse, error: z.ZodError): void {
	sendError(response, 'invalid_body', { fields: fieldErrorsOf(error) });
}
