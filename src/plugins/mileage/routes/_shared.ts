import { container } from '@sapphire/framework';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import type { Guild } from 'discord.js';
import { z } from 'zod';
import { sendErrorOf } from '../../../core/api/index.ts';
import { FacetError, FieldError } from '../../../core/errors.ts';
import { snowflake, text } from '../../../core/input.ts';
import { membersByIds } from '../../../core/members.ts';
import type { LedgerEntryView, TierView } from '../contract.ts';
import { MAX_ADJUST, MileageError, MileageIdentifiers } from '../lib/errors.ts';

type MileageIdentifier = (typeof MileageIdentifiers)[keyof typeof MileageIdentifiers];

import { allTotals } from '../lib/export.ts';
import { dangerousPermissions } from '../lib/grants.ts';
import { DefaultJobOptions, type JobView, MileageJobs } from '../lib/jobs.ts';
import type { LedgerEntry } from '../lib/store.ts';

/*
 * What the mileage routes share: body schemas (the guild-route matrix mirrors them), views, the error mapping and
 * the job runner. `_`-prefixed, so the route loader skips this file.
 */

/** A Discord id in a body or query. */
export const Snowflake = snowflake;

const Reason = text({ max: 200 });

/** `POST …/members/:user/adjust`. */
export const AdjustBody = z.strictObject({
	points: z
		.number()
		.int('must be a whole number')
		.min(-MAX_ADJUST, `must be at least -${MAX_ADJUST}`)
		.max(MAX_ADJUST, `must be at most ${MAX_ADJUST}`)
		.refine((points) => points !== 0, 'must not be 0'),
	reason: Reason
});

/** `POST …/events/:event/reverse`. */
export const ReverseBody = z.strictObject({ reason: Reason });

/** `POST …/tiers` (the role is checked against the guild afterwards). */
export const TierBody = z.strictObject({
	name: text({ max: 50 }),
	threshold: z.number().int('must be a whole number').min(1).max(1_000_000_000),
	roleId: Snowflake,
	/** Required (true) for a role with moderator or admin permissions. */
	confirm: z.boolean().optional()
});

/** `POST …/import` with a JSON body (the other form is a raw `text/csv` body). */
export const ImportJsonBody = z.strictObject({ csv: z.string().min(1, 'is empty') });

/** Largest import body: about 400,000 rows of `user_id,points`. Only the import route reads more than 64 KB. */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * A path parameter by its name in this route's own path. Read by position, because the router names a parameter
 * after the first route that created its branch (see `guildIdOf`).
 */
export function pathParam(request: ApiRequest, name: string): string {
	const index = request.route?.path.findIndex((part) => part === `[${name}]` || part === `:${name}`) ?? -1;
	if (index === -1) return '';
	const segment = (request.url ?? '').split('?')[0]!.split('/').filter(Boolean)[index] ?? '';
	try {
		return decodeURIComponent(segment);
	} catch {
		return '';
	}
}

/** Answers `{ error, message, ...extra }` with the status the identifier implies (mileage identifiers, which commands share). */
export function reply(
	response: ApiResponse,
	error: MileageIdentifier | 'unknown_member' | 'not_found',
	message: string,
	extra: Record<string, unknown> = {}
): void {
	sendErrorOf(response, new FacetError(error, message, {}, extra));
}

/** 400 `invalid_request` for a bad path or query parameter, as field errors. */
export function badParameter(response: ApiResponse, name: string, message: string): void {
	sendErrorOf(response, new FieldError({ [name]: [message] }, `${name}: ${message}`, 'invalid_request'));
}

/** Answers a {@link MileageError} by its identifier; false for anything else (left to `runSafely`). */
export function sendMileageError(response: ApiResponse, error: unknown): boolean {
	if (!(error instanceof MileageError)) return false;
	sendErrorOf(response, error);
	return true;
}

/**
 * Brings the members among `userIds` into the bot's cache (one gateway request per 100 missing; a large guild is
 * never cached whole) so {@link memberName} and {@link memberAvatar} can name them. Best effort: when Discord does
 * not answer within 5 s, names fall back to what is cached.
 */
export async function loadMembers(guild: Guild, userIds: readonly string[]): Promise<void> {
	await membersByIds(guild, userIds, 5_000).catch((error: unknown) =>
		container.logger.warn(`member lookup for names failed in guild ${guild.id}: ${String(error)}`)
	);
}

/** The name the bot knows a member by (display name, else global name or username), or `null`. */
export function memberName(guild: Guild, userId: string): string | null {
	const member = guild.members.cache.get(userId);
	if (member) return member.displayName;
	const user = guild.client.users.cache.get(userId);
	return user ? (user.globalName ?? user.username) : null;
}

/** The member's avatar hash (guild avatar, else their own), or `null` for Discord's default avatar. */
export function memberAvatar(guild: Guild, userId: string): string | null {
	const member = guild.members.cache.get(userId);
	return member?.avatar ?? member?.user.avatar ?? guild.client.users.cache.get(userId)?.avatar ?? null;
}

/** The guild's IANA time zone, from the core's guild facts (UTC unless a plugin provides one). */
export function guildTimeZone(guildId: string): string {
	return container.guildFacts.of(guildId).timeZone;
}

/** The last `days` calendar dates in a time zone, oldest first (`YYYY-MM-DD`), today included. */
export function lastDays(days: number, timeZone: string, now = new Date()): string[] {
	const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(now);
	const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
	const [year, month, day] = [part('year'), part('month'), part('day')];
	// Calendar arithmetic on a UTC date: no DST shifts to trip over.
	return Array.from({ length: days }, (_, i) => new Date(Date.UTC(year, month - 1, day - (days - 1 - i))).toISOString().slice(0, 10));
}

/** A ledger entry as JSON (ids as strings: they are 64-bit). */
export function entryView(entry: LedgerEntry): LedgerEntryView {
	return {
		id: String(entry.id),
		userId: entry.userId,
		points: entry.delta,
		reason: entry.reason,
		actorId: entry.actorId,
		note: entry.note,
		reversesEventId: entry.reversesEventId === null ? null : String(entry.reversesEventId),
		reversedByEventId: entry.reversedByEventId === null ? null : String(entry.reversedByEventId),
		createdAt: entry.createdAt instanceof Date ? entry.createdAt.toISOString() : new Date(entry.createdAt).toISOString()
	};
}

/** A tier as JSON, with its role's name when the bot knows it and the moderator permissions the role grants. */
export function tierView(
	guild: Guild,
	tier: { id: number; name: string; threshold: number; roleId: string; problem: string | null }
): TierView {
	const role = guild.roles.cache.get(tier.roleId);
	return {
		id: String(tier.id),
		name: tier.name,
		threshold: tier.threshold,
		roleId: tier.roleId,
		roleName: role?.name ?? null,
		dangerousPermissions: role ? dangerousPermissions(role.permissions) : [],
		problem: tier.problem
	};
}

let jobs: { runner: MileageJobs; keyPrefix: string } | undefined;

/**
 * The job runner over the bot's Redis (one per process; rebuilt if the container's Redis or database changed).
 * Keys are namespaced by the database: a job belongs to the ledger it writes, so processes sharing a database share
 * jobs and locks, and deployments (or test runs) that share only a Redis server never see each other's.
 */
export function mileageJobs(): MileageJobs {
	const database = String(container.orm.config.get('dbName') ?? '');
	const keyPrefix = `${DefaultJobOptions.keyPrefix}${database}:`;
	if (jobs?.runner.redis !== container.redis || jobs.keyPrefix !== keyPrefix) {
		const runner = new MileageJobs(container.redis, container.log.child({ plugin: 'mileage', source: 'jobs' }), {
			keyPrefix,
			isClosing: () => container.work.closed,
			track: (promise) => container.work.track(promise)
		});
		jobs = { runner, keyPrefix };
	}
	return jobs.runner;
}

/** Answers 409 `mileage_job_running` with the job that holds the guild's lock. */
export function sendJobRunning(response: ApiResponse, running: JobView | null): void {
	reply(response, MileageIdentifiers.JobRunning, 'A job of this kind is already running in this server.', { job: running });
}

/** Starts a tier sync job over every member with points and every holder of a tier role. */
export function startTierSync(guildId: string) {
	return mileageJobs().start(guildId, 'tierSync', 0, async (progress) => {
		const totals = await allTotals(container.orm.em.fork(), guildId);
		const result = await container.mileageTiers.sync(guildId, totals, (done, total) => progress(done, total));
		return { ...result };
	});
}
