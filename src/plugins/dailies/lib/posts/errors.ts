import { UserError } from '@sapphire/framework';

/** Identifiers of the daily-post errors a user can see (command replies and API bodies share them). */
export const DailiesPostIdentifiers = {
	/** The input does not describe a valid post; `context.fields` says which field and why. */
	InvalidPost: 'dailiesInvalidPost',
	/** No channel given and the guild has no daily channel. */
	NoChannel: 'dailiesNoChannel',
	/** The guild has as many daily posts as the host allows. */
	PostLimit: 'dailiesPostLimit',
	UnknownPost: 'dailiesUnknownPost',
	/** The post has no run ahead of it (no weekday left, or already skipped far ahead). */
	NothingToSkip: 'dailiesNothingToSkip'
} as const;

/** One of {@link DailiesPostIdentifiers}. */
export type DailiesPostIdentifier = (typeof DailiesPostIdentifiers)[keyof typeof DailiesPostIdentifiers];

/** A daily-post error with its identifier; the message is what the user reads. */
export class DailiesPostError extends UserError {
	public constructor(identifier: DailiesPostIdentifier, message: string, context: Record<string, unknown> = {}) {
		super({ identifier, message, context });
	}
}

/** HTTP status of each identifier, for the routes. */
export const DailiesPostStatus: Record<DailiesPostIdentifier, number> = {
	[DailiesPostIdentifiers.InvalidPost]: 400,
	[DailiesPostIdentifiers.NoChannel]: 400,
	[DailiesPostIdentifiers.PostLimit]: 409,
	[DailiesPostIdentifiers.UnknownPost]: 404,
	[DailiesPostIdentifiers.NothingToSkip]: 409
};
