import { GatewayDispatchEvents, GatewayIntentBits } from 'discord-api-types/v10';
import { Errors, FormErrors } from './errors.ts';
import { toApiMember } from './serialize.ts';
import { isSnowflake } from './snowflake.ts';
import type { GuildRecord, MemberRecord, SandboxState } from './state.ts';

/*
 * Members of large guilds as Discord serves them: GUILD_CREATE without the member list, REQUEST_GUILD_MEMBERS
 * (op 8) answered in GUILD_MEMBERS_CHUNK pages, and the REST member list and search with their paging.
 */

/** Members per GUILD_MEMBERS_CHUNK, as on Discord. */
export const MEMBERS_PER_CHUNK = 1000;
/** At most this many `user_ids` per op 8, and members for a non-empty `query`. */
export const MAX_REQUESTED_MEMBERS = 100;
/** Discord's `large_threshold` range and default (IDENTIFY). */
export const LARGE_THRESHOLD = { min: 50, max: 250, default: 50 } as const;
/** Above this many members Discord treats a guild as very large even with GUILD_PRESENCES. */
const PRESENCE_MEMBER_LIMIT = 75_000;

/** What a session asked for that shapes the payloads it gets. */
export interface SessionView {
	intents: number;
	largeThreshold: number;
}

/** The `large_threshold` of an IDENTIFY: an integer from 50 to 250 (default 50); anything else is invalid. */
export function parseLargeThreshold(value: unknown): number | null {
	if (value === undefined || value === null) return LARGE_THRESHOLD.default;
	if (typeof value !== 'number' || !Number.isInteger(value) || value < LARGE_THRESHOLD.min || value > LARGE_THRESHOLD.max) return null;
	return value;
}

/**
 * The members Discord puts in a session's GUILD_CREATE: everyone only with GUILD_PRESENCES in a guild that is not
 * large (and under 75,000 members); otherwise only the bot itself and members in voice channels. Also whether the
 * guild is `large` for that session (more members than its `large_threshold`).
 */
export function guildCreateMembers(guild: GuildRecord, botUserId: string, view: SessionView): { large: boolean; members: MemberRecord[] } {
	const large = guild.members.size > view.largeThreshold;
	const presences = (view.intents & GatewayIntentBits.GuildPresences) !== 0;
	if (presences && !large && guild.members.size <= PRESENCE_MEMBER_LIMIT) return { large, members: [...guild.members.values()] };
	const ids = new Set([botUserId, ...guild.voiceStates.keys()]);
	return { large, members: [...ids].flatMap((id) => guild.members.get(id) ?? []) };
}

/**
 * Adds `count` generated people (`{prefix}{n}`) to a guild as members, without events: the guild already had them.
 * Returns how long it took.
 */
export function seedMembers(state: SandboxState, guild: GuildRecord, count: number, prefix: string): { ms: number } {
	const started = performance.now();
	const joinedAt = guild.createdAt;
	for (let i = 0; i < count; i++) {
		const id = state.ids.next();
		state.users.set(id, { id, username: `${prefix}${i}`, globalName: null, bot: false });
		guild.members.set(id, { userId: id, roles: [], nick: null, joinedAt });
	}
	return { ms: performance.now() - started };
}

/** Snowflakes as decimal strings compare by length, then lexically: no BigInt per comparison. */
const compareIds = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** Member ids sorted, cached per guild until its member count changes (joins and leaves change it). */
const sortedIds = new WeakMap<GuildRecord, { size: number; ids: string[] }>();

function membersById(guild: GuildRecord): string[] {
	const cached = sortedIds.get(guild);
	if (cached && cached.size === guild.members.size) return cached.ids;
	const ids = [...guild.members.keys()].sort(compareIds);
	sortedIds.set(guild, { size: guild.members.size, ids });
	return ids;
}

/** The first index whose id is greater than `after`. */
function firstAfter(ids: string[], after: string): number {
	let lo = 0;
	let hi = ids.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (compareIds(ids[mid]!, after) <= 0) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

function matches(state: SandboxState, member: MemberRecord, lowerQuery: string): boolean {
	const username = state.users.get(member.userId)?.username.toLowerCase() ?? '';
	return username.startsWith(lowerQuery) || (member.nick?.toLowerCase().startsWith(lowerQuery) ?? false);
}

function limitParam(errors: FormErrors, query: URLSearchParams, fallback: number): number {
	const raw = query.get('limit');
	if (raw === null) return fallback;
	const value = Number(raw);
	if (raw.trim() === '' || !Number.isInteger(value)) errors.add(['limit'], 'NUMBER_TYPE_COERCE', `Value "${raw}" is not int.`);
	else if (value < 1 || value > 1000) errors.add(['limit'], 'NUMBER_TYPE_MAX', 'int value should be <= 1000 and >= 1.');
	return value;
}

/**
 * `GET /guilds/{id}/members`: members by user id ascending, `limit` 1–1000 (default 1) after the id `after`.
 * Needs the GUILD_MEMBERS privileged intent switched on for the application (403 50001 Missing Access otherwise).
 */
export function listMembers(state: SandboxState, guild: GuildRecord, query: URLSearchParams, membersIntentEnabled: boolean): unknown[] {
	if (!membersIntentEnabled) throw Errors.missingAccess();
	const errors = new FormErrors();
	const limit = limitParam(errors, query, 1);
	const after = query.get('after');
	if (after !== null && !isSnowflake(after)) errors.add(['after'], 'NUMBER_TYPE_COERCE', `Value "${after}" is not snowflake.`);
	errors.throwIfAny();
	const ids = membersById(guild);
	const start = after === null ? 0 : firstAfter(ids, after);
	return ids.slice(start, start + limit).map((id) => toApiMember(state, guild.members.get(id)!));
}

/** `GET /guilds/{id}/members/search`: members whose username or nickname starts with `query` (required), `limit` 1–1000 (default 1). */
export function searchMembers(state: SandboxState, guild: GuildRecord, query: URLSearchParams): unknown[] {
	const errors = new FormErrors();
	const text = query.get('query');
	if (text === null) errors.add(['query'], 'BASE_TYPE_REQUIRED', 'This field is required');
	const limit = limitParam(errors, query, 1);
	errors.throwIfAny();
	const lower = (text ?? '').toLowerCase();
	const out: unknown[] = [];
	for (const member of guild.members.values()) {
		if (out.length >= limit) break;
		if (matches(state, member, lower)) out.push(toApiMember(state, member));
	}
	return out;
}

/** One GUILD_MEMBERS_CHUNK dispatch. */
export interface MemberChunk {
	t: typeof GatewayDispatchEvents.GuildMembersChunk;
	d: Record<string, unknown>;
}

/**
 * Answers a REQUEST_GUILD_MEMBERS (op 8) the way Discord does, or returns `null` when Discord ignores it (sends
 * nothing back): an unknown guild or one the bot is not in, not on this session's shard, malformed fields,
 * more than 100 `user_ids`, or the entire member list (`query` "" — any `limit`) without the GUILD_MEMBERS intent.
 * `user_ids` need no intent; a non-empty `query` returns at most 100 members (fewer with `limit`). Members come
 * in chunks of 1,000 with `chunk_index`/`chunk_count`; `nonce` is echoed when it is at most 32 bytes; unknown
 * `user_ids` are listed in `not_found`. `presences` needs GUILD_PRESENCES (the sandbox has none to send).
 */
export function requestGuildMembers(
	state: SandboxState,
	view: SessionView,
	onShard: (guildId: string) => boolean,
	data: unknown
): MemberChunk[] | null {
	const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
	const guildId = d.guild_id;
	if (typeof guildId !== 'string' || !onShard(guildId)) return null;
	const guild = state.guilds.get(guildId);
	if (!guild?.members.has(state.botUserId)) return null;
	const nonce = typeof d.nonce === 'string' && Buffer.byteLength(d.nonce) <= 32 ? d.nonce : undefined;
	const withPresences = d.presences === true && (view.intents & GatewayIntentBits.GuildPresences) !== 0;
	let members: MemberRecord[];
	let notFound: string[] | undefined;
	if (d.user_ids !== undefined && d.user_ids !== null) {
		const ids = typeof d.user_ids === 'string' ? [d.user_ids] : d.user_ids;
		if (!Array.isArray(ids) || ids.length > MAX_REQUESTED_MEMBERS || !ids.every((id) => typeof id === 'string' && isSnowflake(id)))
			return null;
		const unique = [...new Set(ids as string[])];
		members = unique.flatMap((id) => guild.members.get(id) ?? []);
		notFound = unique.filter((id) => !guild.members.has(id));
	} else {
		const query = d.query;
		const limit = d.limit;
		if (typeof query !== 'string' || typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) return null;
		if (query === '') {
			if ((view.intents & GatewayIntentBits.GuildMembers) === 0) return null;
			const ids = membersById(guild);
			members = (limit === 0 ? ids : ids.slice(0, limit)).map((id) => guild.members.get(id)!);
		} else {
			const max = limit === 0 ? MAX_REQUESTED_MEMBERS : Math.min(limit, MAX_REQUESTED_MEMBERS);
			const lower = query.toLowerCase();
			members = [];
			for (const member of guild.members.values()) {
				if (members.length >= max) break;
				if (matches(state, member, lower)) members.push(member);
			}
		}
	}
	const count = Math.max(1, Math.ceil(members.length / MEMBERS_PER_CHUNK));
	const chunks: MemberChunk[] = [];
	for (let index = 0; index < count; index++) {
		const page = members.slice(index * MEMBERS_PER_CHUNK, (index + 1) * MEMBERS_PER_CHUNK);
		chunks.push({
			t: GatewayDispatchEvents.GuildMembersChunk,
			d: {
				guild_id: guild.id,
				members: page.map((m) => toApiMember(state, m)),
				chunk_index: index,
				chunk_count: count,
				...(index === 0 && notFound ? { not_found: notFound } : {}),
				...(withPresences ? { presences: [] } : {}),
				...(nonce !== undefined ? { nonce } : {})
			}
		});
	}
	return chunks;
}
