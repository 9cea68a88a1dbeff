import { FieldError, type FieldErrors } from '../../../../core/errors.ts';
import { DailiesError, type DailiesIdentifiers } from '../errors.ts';

/** A daily-post refusal: the plugin's one error class, its fields at the top of the API body (`postId`, `limit`). */
export function postError(
	identifier: (typeof DailiesIdentifiers)['UnknownPost' | 'PostLimit' | 'NothingToSkip'],
	message: string,
	details: Record<string, unknown> = {}
): DailiesError {
	return new DailiesError(identifier, message, details, details);
}

/** A refused post (400 `invalid_body` with field errors): the command shows `message`, the API the fields. */
export function invalidPost(fields: FieldErrors, message: string): FieldError {
	return new FieldError(fields, message);
}
