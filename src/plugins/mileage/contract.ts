/*
 * The mileage routes' answers and bodies, declared once: the routes' view functions and answers are typed by them
 * (and `routes/_contract.ts` checks the body schemas accept exactly these bodies); the dashboard imports them by
 * type only. Nothing here imports code that needs the bot's container, so the dashboard's type check stays small.
 */
import type { CsvRowError } from './lib/csv.ts';
import type { JobView } from './lib/jobs.ts';

export type { JobView };

/** One ledger entry (ids as strings: they are 64-bit). */
export interface LedgerEntryView {
	id: string;
	userId: string;
	points: number;
	/** Why: `message`, `reaction`, `voice`, `join`, `adjust`, `reverse`, `import`. */
	reason: string;
	actorId: string | null;
	note: string | null;
	reversesEventId: string | null;
	reversedByEventId: string | null;
	createdAt: string;
}

/** One tier, with its role's name when the bot knows it and why the role cannot be assigned (`problem`). */
export interface TierView {
	id: string;
	name: string;
	threshold: number;
	roleId: string;
	roleName: string | null;
	/** Moderator or admin permissions the role grants (adding such a tier needs `confirm: true`). */
	dangerousPermissions: string[];
	problem: string | null;
}

/** One row of the leaderboard: competition rank (ties share it), the member's name and avatar hash. */
export interface LeaderboardEntry {
	userId: string;
	points: number;
	rank: number;
	name: string | null;
	avatar: string | null;
}

/** `GET /mileage/guilds/:guild/leaderboard?page|after|rank|user&pageSize`. */
export interface LeaderboardAnswer {
	page: number;
	pageSize: number;
	members: number;
	pages: number;
	/** Position of the page's first entry (1-based). */
	position: number;
	/** Keyset cursor of the next page (`after=`), or null on the last. */
	next: string | null;
	entries: LeaderboardEntry[];
}

/**
 * One row of the public leaderboard: the member's true rank, the name they show in the server, and their avatar as a
 * CDN URL (null for Discord's default avatar). Deliberately nothing else — no user id (only inside an avatar URL,
 * where Discord itself publishes it), no points, no history.
 */
export interface PublicLeaderboardEntry {
	rank: number;
	name: string;
	avatarUrl: string | null;
}

/** `GET /mileage/public/:guild/leaderboard?page` (no login; 404 unless the guild turned it on). */
export interface PublicLeaderboardAnswer {
	guild: { name: string; iconUrl: string | null };
	page: number;
	hasNext: boolean;
	entries: PublicLeaderboardEntry[];
}

/** `GET /mileage/guilds/:guild/members/:user`. */
export interface MemberAnswer {
	userId: string;
	name: string | null;
	points: number;
	pending: number;
	rank: number | null;
	history: LedgerEntryView[];
	nextBefore: string | null;
}

/** `GET /mileage/guilds/:guild/points`: points per day in the guild's time zone, zero-filled. */
export interface PointsAnswer {
	timeZone: string;
	days: number;
	userId: string | null;
	buckets: { day: string; points: number }[];
}

/** `GET /mileage/guilds/:guild/tiers`. */
export interface TiersAnswer {
	tiers: TierView[];
}

/** `POST …/members/:user/adjust` and `POST …/events/:event/reverse`. */
export interface LedgerWriteAnswer {
	entry: LedgerEntryView;
	total: number;
}

/** What a dry run (and a started import) reports about the file. */
export interface ImportPreview {
	rows: number;
	members: number;
	points: number;
	/** Rows for people the bot does not know as members (still imported: they may have left). */
	unknownMembers: number;
	ignoredColumns: string[];
}

/** `POST …/import?dryRun=1` (200) or `POST …/import` (202). */
export type ImportAnswer = { dryRun: true; preview: ImportPreview } | { job: JobView; preview: ImportPreview };

/** One row error of a rejected import (400 `invalid_body`, in `errors`). */
export type ImportRowError = CsvRowError;

/** `GET …/jobs/:job`. */
export interface JobAnswer {
	job: JobView;
}

/** `POST …/members/:user/adjust`. */
export interface AdjustRequest {
	points: number;
	reason: string;
}

/** `POST …/events/:event/reverse`. */
export interface ReverseRequest {
	reason: string;
}

/** `POST …/tiers`. */
export interface TierRequest {
	name: string;
	threshold: number;
	roleId: string;
	/** Required (true) for a role with moderator or admin permissions. */
	confirm?: boolean;
}
