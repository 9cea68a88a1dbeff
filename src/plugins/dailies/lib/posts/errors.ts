import { defineErrorIdentifiers, FacetError, FieldError, type FieldErrors } from '../../../../core/errors.ts';

/** The daily posts' identifiers with their HTTP statuses (part of the core's one vocabulary). Bad input is a core `invalid_body`. */
export const DailiesPostErrors = defineErrorIdentifiers({
	dailies_unknown_post: 404,
	/** The guild has as many daily posts as the host allows. */
	dailies_post_limit: 409,
	/** The post has no run ahead of it (no weekday left, or already skipped far ahead). */
	dailies_nothing_to_skip: 409
});

/** Identifiers of the daily-post errors a user can see (command replies and API bodies share them), by name. */
export const DailiesPostIdentifiers = {
	UnknownPost: 'dailies_unknown_post',
	PostLimit: 'dailies_post_limit',
	NothingToSkip: 'dailies_nothing_to_skip'
} as const satisfies Record<string, keyof typeof DailiesPostErrors>;

/** A daily-post error with its identifier; the message is what the user reads, `details` extra API body fields. */
export class DailiesPostError extends FacetError {
	public constructor(
		identifier: (typeof DailiesPostIdentifiers)[keyof typeof DailiesPostIdentifiers],
		message: string,
		details: Record<string, unknown> = {}
	) {
		super(identifier, message, details, details);
	}
}

/** A refused post (400 `invalid_body` with field errors): the command shows `message`, the API the fields. */
export function invalidPost(fields: FieldErrors, message: string): FieldError {
	return new FieldError(fields, message);
}
