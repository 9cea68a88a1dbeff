import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermissionFlagsBits } from 'discord.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canManageGuild } from '../../src/core/api/access.ts';
import { readLimitedBody } from '../../src/core/api/body.ts';
import { resolveApiConfig } from '../../src/core/api/config.ts';
import { parseCookies, serializeCookie } from '../../src/core/api/cookies.ts';
import { corsHeaders, isCrossSiteWrite } from '../../src/core/api/cors.ts';
import { RateLimiter } from '../../src/core/api/rate-limit.ts';
import { clientAddress, isSecureRequest, NO_PROXY_TRUST, ProxyTrust } from '../../src/core/api/request-state.ts';
import { randomId, Sealer } from '../../src/core/api/seal.ts';
import { OAuthStateStore, SessionStore, safeNextPath } from '../../src/core/api/sessions.ts';
import { parseEnv, parseTrustProxy, type TrustProxySetting } from '../../src/core/env.ts';
import { fieldErrorsOf } from '../../src/core/errors.ts';

describe('Sealer (AES-256-GCM session cookies)', () => {
	const sealer = new Sealer('a'.repeat(40), 'session-cookie');

	it('GIVEN a sealed id THEN it opens to the same id, and two seals of one id differ (random IV)', () => {
		const id = randomId();
		const a = sealer.seal(id);
		expect(sealer.open(a)).toBe(id);
		expect(sealer.seal(id)).not.toBe(a);
		expect(a).toMatch(/^[\w-]+$/);
	});

	it('GIVEN any single byte flipped THEN it does not open', () => {
		const sealed = sealer.seal(randomId());
		const raw = Buffer.from(sealed, 'base64url');
		for (let i = 0; i < raw.length; i++) {
			const copy = Buffer.from(raw);
			copy[i] = copy[i]! ^ 0x01;
			expect(sealer.open(copy.toString('base64url'))).toBeNull();
		}
	});

	it('GIVEN a truncated, empty, garbage or foreign-key value THEN it answers null without throwing', () => {
		const sealed = sealer.seal(randomId());
		for (const bad of [sealed.slice(0, -1), sealed.slice(0, 10), '', 'garbage', '%%%', 'a'.repeat(5000), `${sealed}=`]) {
			expect(sealer.open(bad)).toBeNull();
		}
		expect(new Sealer('b'.repeat(40), 'session-cookie').open(sealed)).toBeNull();
		expect(new Sealer('a'.repeat(40), 'other-purpose').open(sealed)).toBeNull();
	});
});

describe('cookies', () => {
	it('GIVEN a cookie header with odd pairs THEN it parses what it can and never throws', () => {
		const cookies = parseCookies('a=1; b = two ; bad; c=%E0%A4%A; d="q"; a=shadowed');
		expect(cookies.get('a')).toBe('1');
		expect(cookies.get('b')).toBe('two');
		expect(cookies.has('c')).toBe(false);
		expect(cookies.get('d')).toBe('q');
	});

	it('GIVEN a session cookie THEN it is HttpOnly, SameSite=Lax, Path=/, Max-Age, and Secure only when asked', () => {
		const plain = serializeCookie('facet_session', 'abc', { maxAgeSeconds: 3600, secure: false });
		expect(plain).toBe('facet_session=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax');
		expect(serializeCookie('facet_session', 'abc', { maxAgeSeconds: 3600, secure: true })).toMatch(/; Secure$/);
		expect(serializeCookie('x', '', { maxAgeSeconds: 0, secure: false })).toContain('Max-Age=0; Expires=Thu, 01 Jan 1970');
		expect(() => serializeCookie('x', 'a;b', { maxAgeSeconds: 1, secure: false })).toThrow();
	});
});

describe('canManageGuild', () => {
	const base = { isOwner: false, permissions: 0n, roleIds: ['r1'], dashboardRoles: [] as string[] };

	it('GIVEN owner, Administrator, Manage Guild or a dashboard role THEN access, strongest reason first', () => {
		expect(canManageGuild({ ...base, isOwner: true, permissions: PermissionFlagsBits.Administrator })).toBe('owner');
		expect(canManageGuild({ ...base, permissions: PermissionFlagsBits.Administrator })).toBe('administrator');
		expect(canManageGuild({ ...base, permissions: PermissionFlagsBits.ManageGuild | PermissionFlagsBits.SendMessages })).toBe(
			'manage_guild'
		);
		expect(canManageGuild({ ...base, dashboardRoles: ['r0', 'r1'] })).toBe('dashboard_role');
	});

	it('GIVEN none of those THEN no access, whatever else the member may do', () => {
		const everythingElse = Object.values(PermissionFlagsBits)
			.filter((flag) => flag !== PermissionFlagsBits.Administrator && flag !== PermissionFlagsBits.ManageGuild)
			.reduce((all, flag) => all | flag, 0n);
		expect(canManageGuild({ ...base, permissions: everythingElse, dashboardRoles: ['r2'] })).toBeNull();
	});
});

describe('safeNextPath', () => {
	it('GIVEN a same-site path THEN it is kept; GIVEN anything that could leave the site THEN it becomes /', () => {
		expect(safeNextPath('/guilds/1?tab=x')).toBe('/guilds/1?tab=x');
		for (const bad of ['//evil.test', '/\\evil.test', 'https://evil.test', 'evil', '', '/a\nb', undefined, 42, ['/x']])
			expect(safeNextPath(bad)).toBe('/');
	});
});

describe('CORS and the cross-site write guard', () => {
	it('GIVEN the dashboard origin THEN credentials are granted to it by name; GIVEN another THEN nothing', () => {
		const granted = corsHeaders('https://dash.test', 'https://dash.test', ['GET', 'POST'], true);
		expect(granted['Access-Control-Allow-Origin']).toBe('https://dash.test');
		expect(granted['Access-Control-Allow-Credentials']).toBe('true');
		expect(granted['Access-Control-Allow-Methods']).toBe('GET, POST');
		expect(corsHeaders('https://evil.test', 'https://dash.test', ['GET'], true)).toEqual({});
		expect(corsHeaders(undefined, 'https://dash.test', ['GET'], false)).toEqual({});
	});

	it('GIVEN a write with a foreign Origin THEN it is cross-site; reads and Origin-less requests are not', () => {
		const trusted = new Set(['https://dash.test']);
		expect(isCrossSiteWrite('POST', 'https://evil.test', trusted)).toBe(true);
		expect(isCrossSiteWrite('delete', 'null', trusted)).toBe(true);
		expect(isCrossSiteWrite('POST', 'https://dash.test', trusted)).toBe(false);
		expect(isCrossSiteWrite('GET', 'https://evil.test', trusted)).toBe(false);
		expect(isCrossSiteWrite('POST', undefined, trusted)).toBe(false);
	});
});

describe('resolveApiConfig', () => {
	it('GIVEN two deployments on one Redis THEN their sessions, states and rate-limit counters live under different keys', () => {
		const env = parseEnv({});
		const a = resolveApiConfig({ env, deployment: 'aaaa' }).redisPrefix;
		const b = resolveApiConfig({ env, deployment: 'bbbb' }).redisPrefix;
		expect(a).toBe('facet:api:aaaa:');
		expect(b).not.toBe(a);
		expect(a.startsWith(b) || b.startsWith(a)).toBe(false);
	});

	it('GIVEN the sandbox THEN OAuth goes to the emulator the client talks to, and the dashboard defaults to the API origin', () => {
		const config = resolveApiConfig({
			env: parseEnv({ API_PORT: '9000' }),
			restApi: 'http://127.0.0.1:8790/api',
			sandboxClientSecret: 's'
		});
		expect(config.discordBaseUrl).toBe('http://127.0.0.1:8790');
		expect(config.restBaseUrl).toBe('http://127.0.0.1:8790/api/v10');
		expect(config.redirectUri).toBe('http://localhost:9000/oauth/callback');
		expect(config.dashboardOrigin).toBe('http://localhost:9000');
		expect(config.clientSecret).toBe('s');
		expect(config.secureCookies).toBe(false);
	});

	it('GIVEN real Discord THEN discord.com, https cookies, and no sandbox secret', () => {
		const env = parseEnv({ DISCORD_TOKEN: 't', API_PUBLIC_URL: 'https://api.facet.test/', DASHBOARD_ORIGIN: 'https://facet.test/app' });
		const config = resolveApiConfig({ env, sandboxClientSecret: 's' });
		expect(config.discordBaseUrl).toBe('https://discord.com');
		expect(config.redirectUri).toBe('https://api.facet.test/oauth/callback');
		expect(config.dashboardOrigin).toBe('https://facet.test');
		expect(config.secureCookies).toBe(true);
		expect(config.clientSecret).toBeNull();
	});

	it('GIVEN a short SESSION_SECRET THEN the environment is refused', () => {
		expect(() => parseEnv({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
	});
});

describe('proxy headers', () => {
	const request = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: '10.0.0.1' } }) as unknown as IncomingMessage;

	// The request went client 203.0.113.7 → proxy 10.0.0.2 → proxy 10.0.0.1 → the API: two trusted hops.
	const twoHops = new ProxyTrust({ kind: 'hops', hops: 2 });

	it('GIVEN no trusted proxy THEN X-Forwarded-* are ignored; GIVEN one THEN they are used', () => {
		const forwarded = request({ 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'x-forwarded-proto': 'https' });
		expect(clientAddress(forwarded, NO_PROXY_TRUST)).toBe('10.0.0.1');
		expect(clientAddress(forwarded, twoHops)).toBe('203.0.113.7');
		expect(isSecureRequest(forwarded, false, NO_PROXY_TRUST)).toBe(false);
		expect(isSecureRequest(forwarded, false, twoHops)).toBe(true);
		expect(isSecureRequest(request({}), true, NO_PROXY_TRUST)).toBe(true);
	});

	it('GIVEN a hop count THEN the client is that many entries from the right, whatever the client prepends', () => {
		const trust = (value: string) => new ProxyTrust(parseTrustProxy(value) as TrustProxySetting);
		const spoofed = request({ 'x-forwarded-for': '6.6.6.6, 198.51.100.9' });
		expect(clientAddress(spoofed, trust('true'))).toBe('198.51.100.9');
		expect(clientAddress(spoofed, trust('1'))).toBe('198.51.100.9');
		expect(clientAddress(spoofed, trust('2'))).toBe('6.6.6.6');
		// Fewer entries than hops: the farthest one there is, never the socket's proxy.
		expect(clientAddress(request({ 'x-forwarded-for': '198.51.100.9' }), trust('3'))).toBe('198.51.100.9');
		expect(clientAddress(request({}), trust('true'))).toBe('10.0.0.1');
		// Repeated headers are one list; ports and IPv4-mapped spellings are one address.
		const repeated = request({ 'x-forwarded-for': ['6.6.6.6', '198.51.100.9:4711'] } as unknown as Record<string, string>);
		expect(clientAddress(repeated, trust('true'))).toBe('198.51.100.9');
		expect(clientAddress(request({ 'x-forwarded-for': '::ffff:198.51.100.9' }), trust('true'))).toBe('198.51.100.9');
	});

	it('GIVEN trusted CIDRs THEN trusted hops are skipped from the right, and an untrusted peer is the client itself', () => {
		const trust = new ProxyTrust(parseTrustProxy('10.0.0.0/8, 2001:db8::/32') as TrustProxySetting);
		expect(clientAddress(request({ 'x-forwarded-for': '6.6.6.6, 198.51.100.9, 10.0.0.2' }), trust)).toBe('198.51.100.9');
		expect(clientAddress(request({ 'x-forwarded-for': '6.6.6.6, 2001:db8::1, 10.9.9.9' }), trust)).toBe('6.6.6.6');
		expect(clientAddress(request({ 'x-forwarded-for': '10.0.0.3, 10.0.0.2' }), trust)).toBe('10.0.0.3');
		const direct = { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' }, socket: { remoteAddress: '192.0.2.1' } };
		expect(clientAddress(direct as unknown as IncomingMessage, trust)).toBe('192.0.2.1');
		expect(isSecureRequest(direct as unknown as IncomingMessage, false, trust)).toBe(false);
		const mapped = { headers: { 'x-forwarded-for': '6.6.6.6' }, socket: { remoteAddress: '::ffff:10.1.2.3' } };
		expect(clientAddress(mapped as unknown as IncomingMessage, trust)).toBe('6.6.6.6');
	});

	it('GIVEN API_TRUST_PROXY values THEN each parses, and a bad one is refused without echoing it', () => {
		expect(parseEnv({}).API_TRUST_PROXY).toEqual({ kind: 'none' });
		expect(parseEnv({ API_TRUST_PROXY: 'false' }).API_TRUST_PROXY).toEqual({ kind: 'none' });
		expect(parseEnv({ API_TRUST_PROXY: 'true' }).API_TRUST_PROXY).toEqual({ kind: 'hops', hops: 1 });
		expect(parseEnv({ API_TRUST_PROXY: '2' }).API_TRUST_PROXY).toEqual({ kind: 'hops', hops: 2 });
		expect(parseEnv({ API_TRUST_PROXY: '127.0.0.1,::1,10.0.0.0/8' }).API_TRUST_PROXY).toEqual({
			kind: 'cidrs',
			cidrs: ['127.0.0.1', '::1', '10.0.0.0/8']
		});
		for (const bad of ['yes', '10.0.0.0/33', '10.0.0.0/8,not-an-ip', '99', ',']) {
			let message = '';
			try {
				parseEnv({ API_TRUST_PROXY: bad });
			} catch (caught) {
				message = (caught as Error).message;
			}
			expect(message, bad).toMatch(/API_TRUST_PROXY/);
			if (bad.length > 2) expect(message).not.toContain(bad);
		}
	});
});

describe('fieldErrorsOf', () => {
	it('GIVEN a failed parse THEN messages are grouped by dotted path', () => {
		const result = z.object({ a: z.string(), b: z.object({ c: z.number() }) }).safeParse({ a: 1, b: { c: 'x' } });
		expect(result.success).toBe(false);
		const fields = fieldErrorsOf(result.error!);
		expect(Object.keys(fields).sort()).toEqual(['a', 'b.c']);
		expect(fields.a![0]).toEqual(expect.any(String));
	});
});

describe('readLimitedBody', () => {
	let server: Server;
	let url: string;
	beforeAll(async () => {
		server = createServer(async (request, response) => {
			const result = await readLimitedBody(request, 1024);
			response.end(JSON.stringify(result.ok ? { size: result.bytes.length } : { reason: result.reason }));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

	const chunked = (size: number) =>
		new ReadableStream({
			start(controller) {
				for (let sent = 0; sent < size; sent += 100) controller.enqueue(new Uint8Array(Math.min(100, size - sent)));
				controller.close();
			}
		});

	it('GIVEN a chunked body under the limit THEN all of it is read', async () => {
		const response = await fetch(url, { method: 'POST', body: chunked(1000), duplex: 'half' } as RequestInit);
		expect(await response.json()).toEqual({ size: 1000 });
	});

	it('GIVEN a chunked body over the limit (no Content-Length) THEN the read stops at the limit', async () => {
		const response = await fetch(url, { method: 'POST', body: chunked(5000), duplex: 'half' } as RequestInit);
		expect(await response.json()).toEqual({ reason: 'too_large' });
	});
});

describe('Redis-backed stores', () => {
	const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
	const prefix = `facet:test:${process.pid}:${randomId(6)}:`;
	afterAll(async () => {
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length) await redis.del(...keys);
		redis.disconnect();
	});

	it('GIVEN a session THEN it is found by id until deleted, and foreign or malformed ids find nothing', async () => {
		const store = new SessionStore(redis, prefix);
		const session = await store.create({ userId: '123', username: 'u', globalName: null, avatar: null, accessToken: 'tok' }, 60);
		expect((await store.get(session.id))?.userId).toBe('123');
		expect(await redis.ttl(`${prefix}session:${session.id}`)).toBeGreaterThan(50);
		expect(await store.get(randomId())).toBeNull();
		expect(await store.get('../../etc')).toBeNull();
		expect(await store.delete(session.id)).toBe(true);
		expect(await store.get(session.id)).toBeNull();
	});

	it('GIVEN an OAuth state THEN it is consumed once and expires with a TTL', async () => {
		const states = new OAuthStateStore(redis, prefix);
		const state = await states.create('/x', 600, randomId());
		const ttl = await redis.ttl(`${prefix}oauth-state:${state}`);
		expect(ttl).toBeGreaterThan(590);
		expect(ttl).toBeLessThanOrEqual(600);
		expect((await states.consume(state))?.next).toBe('/x');
		expect(await states.consume(state)).toBeNull();
		expect(await states.consume('not-a-state')).toBeNull();
	});

	it('GIVEN two limiters on one Redis (two processes) THEN they share one count, and the window resets', async () => {
		const a = new RateLimiter(redis, prefix, { max: 3, windowSeconds: 1 });
		const other = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
		const b = new RateLimiter(other, prefix, { max: 3, windowSeconds: 1 });
		const results = [await a.consume('k'), await b.consume('k'), await a.consume('k'), await b.consume('k')];
		expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
		expect(results[3]!.resetMs).toBeGreaterThan(0);
		expect(results[3]!.resetMs).toBeLessThanOrEqual(1000);
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect((await b.consume('k')).allowed).toBe(true);
		other.disconnect();
	});
});

describe('JSON bodies', () => {
	it('GIVEN a "__proto__" key anywhere THEN its path is found (the body step refuses it instead of the key vanishing in validation)', async () => {
		const { jsonInputProblems } = await import('../../src/core/input.ts');
		const protoKeyPath = (value: unknown) =>
			Object.entries(jsonInputProblems(value) ?? {}).find(([, messages]) => messages.some((m) => m.includes('__proto__')))?.[0] ?? null;
		expect(protoKeyPath(JSON.parse('{"prefix":"x","__proto__":{}}'))).toBe('__proto__');
		expect(protoKeyPath(JSON.parse('{"a":[{"__proto__":1}]}'))).toBe('a.0.__proto__');
		expect(protoKeyPath(JSON.parse('{"proto":1,"constructor":{"prototype":2}}'))).toBeNull();
	});
});
