import type { IncomingMessage } from 'node:http';
import { container } from '@sapphire/framework';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { DiscordAPIError, type Guild, type GuildMember, PermissionFlagsBits, RESTJSONErrorCodes } from 'discord.js';
import { appendSetCookie, parseCookies, serializeCookie } from './cookies.ts';
import { sendError } from './errors.ts';
import { type GuildContext, isSecureRequest, type ManageAccess, requestState } from './request-state.ts';
import { getApiServices } from './services.ts';
import type { Session } from './sessions.ts';

/** What decides whether a member may manage a guild, as plain data (see {@link canManageGuild}). */
export interface ManageFacts {
	isOwner: boolean;
	/** Union of the permissions of the member's roles, `@everyone` included. */
	permissions: bigint;
	roleIds: Iterable<string>;
	/** Roles the guild's config grants dashboard access. */
	dashboardRoles: readonly string[];
}

/** Owner, Administrator, Manage Guild, or a dashboard role — in that order — else `null`. */
export function canManageGuild(facts: ManageFacts): ManageAccess | null {
	if (facts.isOwner) return 'owner';
	if ((facts.permissions & PermissionFlagsBits.Administrator) !== 0n) return 'administrator';
	if ((facts.permissions & PermissionFlagsBits.ManageGuild) !== 0n) return 'manage_guild';
	if (facts.dashboardRoles.length > 0) {
		const granted = new Set(facts.dashboardRoles);
		for (const id of facts.roleIds) if (granted.has(id)) return 'dashboard_role';
	}
	return null;
}

/** The facts of a member as the bot sees them (its own cache of roles and their permissions). */
export function manageFactsOf(guild: Guild, member: GuildMember, dashboardRoles: readonly string[]): ManageFacts {
	let permissions = guild.roles.everyone?.permissions.bitfield ?? 0n;
	for (const role of member.roles.cache.values()) permissions |= role.permissions.bitfield;
	return { isOwner: guild.ownerId === member.id, permissions, roleIds: member.roles.cache.keys(), dashboardRoles };
}

/**
 * Roles granted dashboard access in a guild, as plugins declare them (`dashboardRoles` in a manifest); none while
 * the plugin service is not up yet.
 */
export async function dashboardRolesOf(guildId: string): Promise<string[]> {
	const plugins = (container as unknown as { plugins?: { dashboardRoles?: (guildId: string) => string[] } }).plugins;
	return plugins?.dashboardRoles?.(guildId) ?? [];
}

/** The request's session from its sealed cookie, looked up once per request; `null` when absent or invalid. */
export async function resolveSession(request: IncomingMessage): Promise<Session | null> {
	const state = requestState(request);
	if (state.session !== undefined) return state.session;
	const api = getApiServices();
	state.cookies ??= parseCookies(request.headers.cookie);
	const sealed = state.cookies.get(api.config.cookieName);
	state.sessionCookieSent = sealed !== undefined;
	const id = sealed && api.sealer ? api.sealer.open(sealed) : null;
	state.session = id ? await api.sessions.get(id) : null;
	return state.session;
}

/** A `Set-Cookie` that removes the session cookie. */
export function clearSessionCookie(request: IncomingMessage, response: ApiResponse): void {
	const { config } = getApiServices();
	appendSetCookie(
		response,
		serializeCookie(config.cookieName, '', { maxAgeSeconds: 0, secure: isSecureRequest(request, config.secureCookies, config.trustProxy) })
	);
}

/**
 * The request's session, or `null` after answering 401 `unauthorized` (and clearing a cookie that did not open).
 * @example
 * const session = await requireSession(request, response);
 * if (!session) return;
 */
export async function requireSession(request: ApiRequest, response: ApiResponse): Promise<Session | null> {
	let session: Session | null;
	try {
		session = await resolveSession(request);
	} catch (error) {
		getApiServices().logger.error({ err: error }, 'session lookup failed');
		sendError(response, 'service_unavailable');
		return null;
	}
	if (session) return session;
	if (requestState(request).sessionCookieSent) clearSessionCookie(request, response);
	sendError(response, 'unauthorized');
	return null;
}

const SNOWFLAKE = /^\d{17,20}$/;

/** When the bot last read each (guild, user) member from Discord itself, for {@link currentMember}. */
const confirmedAt = new Map<string, number>();

/**
 * The member as the bot sees them, never older than `recheckSeconds` (`API_ACCESS_RECHECK_SECONDS`, ≤ 60): the
 * gateway keeps the cache current (role and member updates), and a copy not confirmed by Discord for that long is
 * read again through REST, so even a missed update cannot keep a lost right alive past the bound. `null` when the
 * user is not a member. A failed re-read keeps the gateway's copy (logged), so a Discord hiccup locks nobody out.
 */
export async function currentMember(guild: Guild, userId: string, recheckSeconds: number): Promise<GuildMember | null> {
	const key = `${guild.id}:${userId}`;
	const now = Date.now();
	const cached = guild.members.cache.get(userId);
	const stale = (confirmedAt.get(key) ?? 0) < now - recheckSeconds * 1_000;
	try {
		const member = cached && !stale ? cached : await guild.members.fetch({ user: userId, force: true });
		if (stale) confirmedAt.set(key, now);
		if (confirmedAt.size > 10_000) {
			for (const [entry, at] of confirmedAt) if (at < now - recheckSeconds * 1_000) confirmedAt.delete(entry);
		}
		return member;
	} catch (error) {
		if (
			error instanceof DiscordAPIError &&
			(error.code === RESTJSONErrorCodes.UnknownMember || error.code === RESTJSONErrorCodes.UnknownUser)
		) {
			confirmedAt.delete(key);
			return null;
		}
		if (!cached) throw error;
		getApiServices().logger.warn({ err: error, guildId: guild.id }, 'member re-read failed; using the gateway copy');
		return cached;
	}
}

/**
 * The one-line guard of every guild route: a session (401), a guild the bot is in (404 `unknown_guild`),
 * and a member who may manage it **as the bot sees them now** (403 `forbidden`): owner, Administrator,
 * Manage Guild or a dashboard role. Answers the error itself and returns `null`; checked once per request.
 * @example
 * const ctx = await requireGuildManager(request, response);
 * if (!ctx) return;
 * response.json({ name: ctx.guild.name });
 */
export async function requireGuildManager(request: ApiRequest, response: ApiResponse, guildId?: string): Promise<GuildContext | null> {
	const state = requestState(request);
	const id = guildId ?? guildIdOf(request);
	// The API's guard already checked this request (and answered, when it failed).
	if (state.guild === null) return null;
	if (state.guild && state.guild.guild.id === id) return state.guild;
	state.guild = await checkGuildManager(request, response, id);
	return state.guild;
}

/**
 * The `[guild]` segment of the request's path. Read by position in the route's own path, because the router
 * names a parameter after the first route that created its branch (`[guild]` and `[id]` siblings share one).
 */
export function guildIdOf(request: ApiRequest): string {
	if (typeof request.params.guild === 'string') return request.params.guild;
	const index = request.route?.path.findIndex((part) => part === '[guild]' || part === ':guild') ?? -1;
	if (index === -1) return '';
	const pathname = (request.url ?? '').split('?')[0] ?? '';
	return pathname.split('/').filter(Boolean)[index] ?? '';
}

async function checkGuildManager(request: ApiRequest, response: ApiResponse, guildId: string): Promise<GuildContext | null> {
	const session = await requireSession(request, response);
	if (!session) return null;
	const directory = container.guildDirectory;
	if (!directory?.ready()) {
		sendError(response, 'service_unavailable');
		return null;
	}
	let guild: Guild | undefined;
	try {
		// From the gateway's cache in a bot process; over REST (cached briefly) in an api process.
		guild = SNOWFLAKE.test(guildId) ? await directory.get(guildId) : undefined;
	} catch (error) {
		getApiServices().logger.error({ err: error, guildId }, 'guild lookup failed');
		sendError(response, 'service_unavailable');
		return null;
	}
	if (!guild?.available) {
		sendError(response, 'unknown_guild');
		return null;
	}
	let member: GuildMember | null;
	let dashboardRoles: string[];
	try {
		member = await currentMember(guild, session.userId, getApiServices().config.accessRecheckSeconds);
	} catch (error) {
		getApiServices().logger.error({ err: error, guildId }, 'member lookup failed');
		sendError(response, 'service_unavailable');
		return null;
	}
	if (!member) {
		sendError(response, 'forbidden');
		return null;
	}
	try {
		dashboardRoles = await dashboardRolesOf(guild.id);
	} catch (error) {
		// Failing closed on dashboard roles only: owners and managers still get in.
		getApiServices().logger.warn({ err: error, guildId }, 'dashboard roles unreadable; granting by permissions only');
		dashboardRoles = [];
	}
	const access = canManageGuild(manageFactsOf(guild, member, dashboardRoles));
	if (!access) {
		sendError(response, 'forbidden');
		return null;
	}
	return { session, guild, member, access };
}

/** True for a route whose path has a `[guild]` parameter: the API guards it before it runs. */
export function isGuildRoute(path: readonly string[]): boolean {
	return path.includes('[guild]') || path.includes(':guild');
}
