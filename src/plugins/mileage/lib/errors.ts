import { UserError } from '@sapphire/framework';

/** Identifiers of the mileage errors a user can see (command replies and API bodies share them). */
export const MileageIdentifiers = {
	UnknownEvent: 'mileageUnknownEvent',
	AlreadyReversed: 'mileageAlreadyReversed',
	ReversalOfReversal: 'mileageReversalOfReversal',
	InvalidAmount: 'mileageInvalidAmount',
	InvalidImport: 'mileageInvalidImport',
	UnknownTier: 'mileageUnknownTier',
	DuplicateTier: 'mileageDuplicateTier',
	/** A leaderboard button pointing outside the pages. */
	InvalidPage: 'mileageInvalidPage',
	/** A leaderboard button made in another server. */
	ForeignLeaderboard: 'mileageForeignLeaderboard',
	/** A tier role the bot can never hand out (@everyone). */
	InvalidTierRole: 'mileageInvalidTierRole'
} as const;

/** A mileage error with its identifier; the message is what the user reads. */
export class MileageError extends UserError {
	public constructor(
		identifier: (typeof MileageIdentifiers)[keyof typeof MileageIdentifiers],
		message: string,
		context: Record<string, unknown> = {}
	) {
		super({ identifier, message, context });
	}
}

/** Largest magnitude an admin adjustment or an import row may carry. */
export const MAX_ADJUST = 1_000_000;
