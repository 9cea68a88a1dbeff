import { defineErrorIdentifiers, FacetError } from '../../../core/errors.ts';

/** The mileage plugin's identifiers with their HTTP statuses (part of the core's one vocabulary, same style). */
export const MileageErrors = defineErrorIdentifiers({
	mileage_unknown_event: 404,
	mileage_already_reversed: 409,
	mileage_reversal_of_reversal: 409,
	mileage_invalid_amount: 400,
	mileage_invalid_import: 400,
	mileage_unknown_tier: 404,
	mileage_duplicate_tier: 409,
	mileage_no_tiers: 409,
	mileage_job_running: 409,
	/** A leaderboard button pointing outside the pages. */
	mileage_invalid_page: 400,
	/** A leaderboard button made in another server. */
	mileage_foreign_leaderboard: 400,
	/** A tier role carrying moderator permissions, without the admin's explicit confirmation. */
	mileage_dangerous_tier_role: 400,
	/** Points for a bot account. */
	mileage_bot_member: 400
});

/** Identifiers of the mileage errors a user can see (command replies and API bodies share them), by name. */
export const MileageIdentifiers = {
	UnknownEvent: 'mileage_unknown_event',
	AlreadyReversed: 'mileage_already_reversed',
	ReversalOfReversal: 'mileage_reversal_of_reversal',
	InvalidAmount: 'mileage_invalid_amount',
	InvalidImport: 'mileage_invalid_import',
	UnknownTier: 'mileage_unknown_tier',
	DuplicateTier: 'mileage_duplicate_tier',
	NoTiers: 'mileage_no_tiers',
	JobRunning: 'mileage_job_running',
	InvalidPage: 'mileage_invalid_page',
	ForeignLeaderboard: 'mileage_foreign_leaderboard',
	DangerousTierRole: 'mileage_dangerous_tier_role',
	BotMember: 'mileage_bot_member'
} as const satisfies Record<string, keyof typeof MileageErrors>;

/** A mileage error with its identifier; the message is what the user reads, `details` extra API body fields. */
export class MileageError extends FacetError {
	public constructor(
		identifier: (typeof MileageIdentifiers)[keyof typeof MileageIdentifiers],
		message: string,
		context: Record<string, unknown> = {},
		details: Record<string, unknown> = { context }
	) {
		super(identifier, message, context, details);
	}
}

/** Largest magnitude an admin adjustment or an import row may carry. */
export const MAX_ADJUST = 1_000_000;
