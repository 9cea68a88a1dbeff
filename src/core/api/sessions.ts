import type { Redis } from 'ioredis';
import { z } from 'zod';
import { randomId } from './seal.ts';

/** A dashboard session as stored in Redis. The access token never leaves the server. */
export interface Session {
	/** Random id (256 bits); the cookie carries it sealed. */
	id: string;
	userId: string;
	username: string;
	globalName: string | null;
	avatar: string | null;
	/** Discord OAuth access token: used server-side only (guild list, revocation on logout). */
	accessToken: string;
	createdAt: number;
	expiresAt: number;
}

/** What {@link SessionStore.create} needs; id and timestamps are made by the store. */
export type NewSession = Omit<Session, 'id' | 'createdAt' | 'expiresAt'>;

const SessionSchema = z.object({
	id: z.string(),
	userId: z.string().regex(/^\d{1,20}$/),
	username: z.string(),
	globalName: z.string().nullable(),
	avatar: z.string().nullable(),
	accessToken: z.string(),
	createdAt: z.number(),
	expiresAt: z.number()
});

/** Ids the stores mint: base64url of 32 random bytes. Anything else is refused before Redis is asked. */
const ID_PATTERN = /^[\w-]{43}$/;

/** Server-side sessions in Redis, keyed by a random id, expiring with Redis' own TTL. */
export class SessionStore {
	readonly #redis: Redis;
	readonly #prefix: string;

	public constructor(redis: Redis, prefix: string) {
		this.#redis = redis;
		this.#prefix = `${prefix}session:`;
	}

	/** Stores a new session living `ttlSeconds`. */
	public async create(data: NewSession, ttlSeconds: number): Promise<Session> {
		const now = Date.now();
		const session: Session = { ...data, id: randomId(), createdAt: now, expiresAt: now + ttlSeconds * 1000 };
		const stored = await this.#redis.set(this.#key(session.id), JSON.stringify(session), 'EX', ttlSeconds, 'NX');
		if (stored !== 'OK') throw new Error('session id collision');
		return session;
	}

	/** The live session with this id, or `null` (unknown, expired, malformed). */
	public async get(id: string): Promise<Session | null> {
		if (!ID_PATTERN.test(id)) return null;
		const raw = await this.#redis.get(this.#key(id));
		if (raw === null) return null;
		let parsed: unknown;
		try {
			parsed = JSON.parse(raw);
		} catch {
			return null;
		}
		const result = SessionSchema.safeParse(parsed);
		if (!result.success || result.data.id !== id || result.data.expiresAt <= Date.now()) return null;
		return result.data;
	}

	/** Ends a session; true when it existed. */
	public async delete(id: string): Promise<boolean> {
		if (!ID_PATTERN.test(id)) return false;
		return (await this.#redis.del(this.#key(id))) > 0;
	}

	#key(id: string) {
		return `${this.#prefix}${id}`;
	}
}

/** What a login remembers between `/oauth/login` and `/oauth/callback`. */
export interface OAuthStateData {
	/** Dashboard path to land on after login. */
	next: string;
	/** The PKCE `code_verifier` (RFC 7636): kept server-side, only its S256 challenge went to the browser. */
	verifier: string;
	createdAt: number;
}

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER_PATTERN = /^[\w.~-]{43,128}$/;

const StateSchema = z.object({ next: z.string(), verifier: z.string().regex(VERIFIER_PATTERN), createdAt: z.number() });

/** Single-use OAuth `state` values in Redis with a TTL. */
export class OAuthStateStore {
	readonly #redis: Redis;
	readonly #prefix: string;

	public constructor(redis: Redis, prefix: string) {
		this.#redis = redis;
		this.#prefix = `${prefix}oauth-state:`;
	}

	/** Mints a state valid for `ttlSeconds`, remembering where to land and the login's PKCE verifier. */
	public async create(next: string, ttlSeconds: number, verifier: string): Promise<string> {
		if (!VERIFIER_PATTERN.test(verifier)) throw new TypeError('a PKCE code_verifier is 43 to 128 unreserved characters');
		const state = randomId();
		const data: OAuthStateData = { next, verifier, createdAt: Date.now() };
		await this.#redis.set(`${this.#prefix}${state}`, JSON.stringify(data), 'EX', ttlSeconds);
		return state;
	}

	/** Takes a state out (GETDEL: a second use finds nothing); `null` when unknown, expired or used. */
	public async consume(state: string): Promise<OAuthStateData | null> {
		if (!ID_PATTERN.test(state)) return null;
		const raw = await this.#redis.getdel(`${this.#prefix}${state}`);
		if (raw === null) return null;
		try {
			const result = StateSchema.safeParse(JSON.parse(raw));
			return result.success ? result.data : null;
		} catch {
			return null;
		}
	}
}

/**
 * Only same-site paths may follow a login: `/x?y`, never `//host`, `/\host` or a full URL.
 * Anything else becomes `/`.
 */
export function safeNextPath(next: unknown): string {
	if (typeof next !== 'string' || next.length === 0 || next.length > 512) return '/';
	if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
	for (const char of next) if (char.charCodeAt(0) < 0x20 || char === '\\') return '/';
	return next;
}
