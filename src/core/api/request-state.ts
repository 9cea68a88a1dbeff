import type { IncomingMessage } from 'node:http';
import type { Guild, GuildMember } from 'discord.js';
import type { ManageAccess } from './contract.ts';
import type { Session } from './sessions.ts';

/** What a guild route gets from {@link requireGuildManager}. */
export interface GuildContext {
	session: Session;
	guild: Guild;
	member: GuildMember;
	/** Why this member may manage the guild. */
	access: ManageAccess;
}

/** The reason a member may manage a guild, strongest first (declared with the API's answers). */
export type { ManageAccess } from './contract.ts';

/** Per-request facts the API's middlewares work out once and the helpers reuse. */
export interface RequestState {
	cookies?: Map<string, string>;
	/** `undefined`: not looked up yet; `null`: no valid session. */
	session?: Session | null;
	/** A session cookie was sent (valid or not). */
	sessionCookieSent?: boolean;
	/** The guild check's outcome for this request (`null`: it answered an error). */
	guild?: GuildContext | null;
	/** The body, read once under the size limit. */
	body?: { bytes: Buffer; type: string; json?: unknown };
}

const states = new WeakMap<IncomingMessage, RequestState>();

/** The state of one request, created on first access. */
export function requestState(request: IncomingMessage): RequestState {
	let state = states.get(request);
	if (!state) {
		state = {};
		states.set(request, state);
	}
	return state;
}

/** The client's address: the socket's, or the first `X-Forwarded-For` hop when a proxy is trusted. */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
	if (trustProxy) {
		const forwarded = request.headers['x-forwarded-for'];
		const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
		if (first) return first;
	}
	return request.socket.remoteAddress ?? 'unknown';
}

/** Whether the browser reached the API over https (directly, or through a trusted proxy that says so). */
export function isSecureRequest(request: IncomingMessage, publicUrlIsHttps: boolean, trustProxy: boolean): boolean {
	if (publicUrlIsHttps) return true;
	if (trustProxy) {
		const proto = request.headers['x-forwarded-proto'];
		return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() === 'https';
	}
	return false;
}
