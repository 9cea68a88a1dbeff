import type { ApiResponse } from '@sapphire/plugin-api';
import type { z } from 'zod';

/**
 * Stable identifiers of every error the API answers with, as `{ error: <identifier> }`.
 * The dashboard switches on these; the wording for people lives there, never here.
 */
export const ApiErrors = {
	unauthorized: 401,
	forbidden: 403,
	forbidden_origin: 403,
	unknown_guild: 404,
	not_found: 404,
	method_not_allowed: 405,
	invalid_body: 400,
	invalid_json: 400,
	invalid_state: 400,
	invalid_request: 400,
	payload_too_large: 413,
	unsupported_media_type: 415,
	rate_limited: 429,
	internal_error: 500,
	oauth_failed: 502,
	oauth_unavailable: 503,
	service_unavailable: 503
} as const;

/** One of {@link ApiErrors}' identifiers. */
export type ApiErrorCode = keyof typeof ApiErrors;

/** Field path (dot-joined, `''` for the body itself) → messages, as answered with `invalid_body`. */
export type FieldErrors = Record<string, string[]>;

/**
 * Answers `{ error: code, ...extra }` with the status the identifier implies.
 * @example sendError(response, 'unknown_guild');
 */
export function sendError(response: ApiResponse, code: ApiErrorCode, extra: Record<string, unknown> = {}): void {
	if (response.writableEnded) return;
	response.status(ApiErrors[code]).json({ ...extra, error: code });
}

/** Groups a zod error's issues by field path. */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
	const fields: FieldErrors = {};
	for (const issue of error.issues) {
		const key = issue.path.map(String).join('.');
		const messages = fields[key] ?? [];
		messages.push(issue.message);
		fields[key] = messages;
	}
	return fields;
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
