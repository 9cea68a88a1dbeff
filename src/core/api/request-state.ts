import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Guild, GuildMember } from 'discord.js';
import type { TrustProxySetting } from '../env.ts';
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

/**
 * How far the API believes `X-Forwarded-For`, built once from `API_TRUST_PROXY`. Addresses are read from the
 * right: each proxy appends the address it received the request from, so only the entries that trusted proxies
 * appended are facts; everything to their left is whatever the client chose to send.
 */
export class ProxyTrust {
	readonly #setting: TrustProxySetting;
	readonly #proxies: BlockList | null;

	public constructor(setting: TrustProxySetting) {
		this.#setting = setting;
		this.#proxies = null;
		if (setting.kind === 'cidrs') {
			const list = new BlockList();
			for (const entry of setting.cidrs) {
				const [address = '', prefix] = entry.split('/');
				const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
				if (prefix === undefined) list.addAddress(address, family);
				else list.addSubnet(address, Number(prefix), family);
			}
			this.#proxies = list;
		}
	}

	/** Whether any proxy header is believed at all. */
	public get enabled(): boolean {
		return this.#setting.kind !== 'none';
	}

	/** Whether the peer on the socket is a trusted proxy, so its `X-Forwarded-*` headers count. */
	public peerTrusted(request: IncomingMessage): boolean {
		if (this.#setting.kind === 'none') return false;
		if (this.#setting.kind === 'hops') return this.#setting.hops > 0;
		return this.#isProxy(normaliseAddress(request.socket.remoteAddress ?? ''));
	}

	/** The client's address: the nearest hop to the right that is not a trusted proxy. */
	public clientAddress(request: IncomingMessage): string {
		const socket = normaliseAddress(request.socket.remoteAddress ?? '') || 'unknown';
		if (!this.peerTrusted(request)) return socket;
		// Nearest first: the socket's peer, then X-Forwarded-For from its right end.
		const chain = [socket, ...forwardedFor(request).reverse()];
		if (this.#setting.kind === 'hops') return chain[Math.min(this.#setting.hops, chain.length - 1)] ?? socket;
		const client = chain.find((address) => !this.#isProxy(address));
		// Every hop a trusted proxy: the farthest one is the best fact there is.
		return client ?? chain.at(-1) ?? socket;
	}

	#isProxy(address: string): boolean {
		const family = isIP(address);
		if (!this.#proxies || family === 0) return false;
		return this.#proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
	}
}

/** Trusts no proxy header: the socket's address is the client. */
export const NO_PROXY_TRUST = new ProxyTrust({ kind: 'none' });

/** Every `X-Forwarded-For` entry in order (repeated headers joined, as proxies treat them), each normalised. */
function forwardedFor(request: IncomingMessage): string[] {
	const header = request.headers['x-forwarded-for'];
	const joined = Array.isArray(header) ? header.join(',') : (header ?? '');
	return joined
		.split(',')
		.map(normaliseAddress)
		.filter((entry) => entry !== '');
}

/** One spelling per address: no surrounding blanks, no port (`1.2.3.4:80`, `[::1]:80`), IPv4-mapped IPv6 as IPv4. */
function normaliseAddress(raw: string): string {
	let address = raw.trim();
	const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
	if (bracketed?.[1]) address = bracketed[1];
	else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
	const mapped = /^::ffff:([\d.]+)$/i.exec(address);
	if (mapped?.[1] && isIP(mapped[1]) === 4) address = mapped[1];
	return address.toLowerCase();
}

/** The client's address as {@link ProxyTrust.clientAddress} works it out. */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust): string {
	return trust.clientAddress(request);
}

/** Whether the browser reached the API over https (directly, or through a trusted proxy that says so). */
export function isSecureRequest(request: IncomingMessage, publicUrlIsHttps: boolean, trust: ProxyTrust): boolean {
	if (publicUrlIsHttps) return true;
	if (trust.peerTrusted(request)) {
		const proto = request.headers['x-forwarded-proto'];
		return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() === 'https';
	}
	return false;
}
