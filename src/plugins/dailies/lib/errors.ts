import { UserError } from '@sapphire/framework';

/** Identifiers of the feed errors a user can see (command replies and API bodies share them). */
export const DailiesIdentifiers = {
	/** The URL, template or another input is refused; `context.field` names it. */
	InvalidFeedInput: 'dailiesInvalidFeedInput',
	/** The URL answered, but not with a feed (or could not be fetched at all). */
	FeedUnreachable: 'dailiesFeedUnreachable',
	UnknownFeed: 'dailiesUnknownFeed',
	DuplicateFeed: 'dailiesDuplicateFeed',
	FeedLimit: 'dailiesFeedLimit',
	InvalidOpml: 'dailiesInvalidOpml',
	FeedNotPaused: 'dailiesFeedNotPaused',
	/** A feed button pressed by someone without Manage Server. */
	ManagersOnly: 'dailiesManagersOnly'
} as const;

/** A dailies error with its identifier; the message is what the user reads, `context.field` the input at fault. */
export class DailiesError extends UserError {
	public constructor(
		identifier: (typeof DailiesIdentifiers)[keyof typeof DailiesIdentifiers],
		message: string,
		context: Record<string, unknown> = {}
	) {
		super({ identifier, message, context });
	}

	/** The input field at fault, if any. */
	public get field(): string | null {
		const field = (this.context as { field?: unknown } | null)?.field;
		return typeof field === 'string' ? field : null;
	}
}
