import { defineErrorIdentifiers, FacetError } from '../../../core/errors.ts';

/** The dailies identifiers (feeds and daily posts) with their HTTP statuses (part of the core's one vocabulary). */
export const DailiesErrors = defineErrorIdentifiers({
	/** The URL, template or another input is refused; `context.field` names it. */
	dailies_invalid_feed_input: 400,
	/** The URL answered, but not with a feed (or could not be fetched at all). */
	dailies_feed_unreachable: 400,
	dailies_invalid_opml: 400,
	dailies_unknown_feed: 404,
	dailies_duplicate_feed: 409,
	dailies_feed_limit: 409,
	dailies_feed_not_paused: 409,
	/** A feed button pressed by someone without Manage Server. */
	dailies_managers_only: 403,
	dailies_unknown_post: 404,
	/** The guild has as many daily posts as the host allows. */
	dailies_post_limit: 409,
	/** The post has no run ahead of it (no weekday left, or already skipped far ahead). */
	dailies_nothing_to_skip: 409
});

/** Identifiers of the dailies errors a user can see (command replies and API bodies share them), by name. */
export const DailiesIdentifiers = {
	InvalidFeedInput: 'dailies_invalid_feed_input',
	FeedUnreachable: 'dailies_feed_unreachable',
	InvalidOpml: 'dailies_invalid_opml',
	UnknownFeed: 'dailies_unknown_feed',
	DuplicateFeed: 'dailies_duplicate_feed',
	FeedLimit: 'dailies_feed_limit',
	FeedNotPaused: 'dailies_feed_not_paused',
	ManagersOnly: 'dailies_managers_only',
	UnknownPost: 'dailies_unknown_post',
	PostLimit: 'dailies_post_limit',
	NothingToSkip: 'dailies_nothing_to_skip'
} as const satisfies Record<string, keyof typeof DailiesErrors>;

/**
 * A dailies error with its identifier; the message is what the user reads, `context.field` the input at fault,
 * `details` the extra API body fields (feed errors answer their context under `context`; post errors at the top).
 */
export class DailiesError extends FacetError {
	public constructor(
		identifier: (typeof DailiesIdentifiers)[keyof typeof DailiesIdentifiers],
		message: string,
		context: Record<string, unknown> = {},
		details: Record<string, unknown> = { context }
	) {
		super(identifier, message, context, details);
	}

	/** The input field at fault, if any. */
	public get field(): string | null {
		const field = (this.context as { field?: unknown } | null)?.field;
		return typeof field === 'string' ? field : null;
	}
}
