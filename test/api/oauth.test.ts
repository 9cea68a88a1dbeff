import { createHash, randomInt } from 'node:crypto';
import { container } from '@sapphire/pieces';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getApiServices } from '../../src/core/api/index.ts';
import { SANDBOX_CLIENT_SECRET } from '../../src/sandbox/index.ts';
import { type ApiBot, Browser, DASHBOARD_ORIGIN, type Login, login, startApiBot } from './helpers.ts';

let bot: ApiBot;
/** Every secret the run handled; the last test looks for each in the captured log. */
const secrets = { cookies: new Set<string>(), codes: new Set<string>(), states: new Set<string>(), tokens: new Set<string>() };
/** Unauthenticated requests count per address: each test gets its own (the API trusts X-Forwarded-For here). */
let nextAddress = 1;
const address = () => `198.51.100.${nextAddress++}`;
const browser = () => new Browser(bot.base, { 'x-forwarded-for': address() });

async function loginAs(who: string): Promise<Login> {
	const result = await login(bot, who, browser());
	secrets.cookies.add(result.sessionCookie);
	secrets.codes.add(result.code);
	secrets.states.add(result.state);
	const session = await sessionOf(result.sessionCookie);
	if (session) secrets.tokens.add(session.accessToken);
	return result;
}

async function sessionOf(cookie: string) {
	const id = getApiServices().sealer!.open(cookie);
	return id ? getApiServices().sessions.get(id) : null;
}

/** How many live sessions a user has (Redis is shared with other test files: count by user, not globally). */
async function sessionCountOf(userId: string): Promise<number> {
	const keys = await container.redis.keys(`${getApiServices().config.redisPrefix}session:*`);
	let count = 0;
	for (const key of keys) {
		const raw = await container.redis.get(key);
		if (raw && (JSON.parse(raw) as { userId: string }).userId === userId) count++;
	}
	return count;
}

beforeAll(async () => {
	bot = await startApiBot({ env: { API_TRUST_PROXY: 'true' } });
});
afterAll(async () => {
	await bot?.stop();
});

describe('login through Discord OAuth2 (the emulator)', () => {
	it('GIVEN grace logs in THEN the API sends her to the emulator with state and scopes, and the callback sets a sealed HttpOnly SameSite=Lax cookie and lands on the dashboard', async () => {
		const result = await loginAs('grace');
		const authorize = new URL(result.authorizeUrl);
		expect(`${authorize.origin}${authorize.pathname}`).toBe(`${bot.emulator.baseUrl}/oauth2/authorize`);
		expect(authorize.searchParams.get('scope')).toBe('identify guilds');
		expect(authorize.searchParams.get('response_type')).toBe('code');
		expect(authorize.searchParams.get('redirect_uri')).toBe(`${bot.base}/oauth/callback`);
		expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{43}$/);

		expect(result.callback.headers.get('location')).toBe(`${DASHBOARD_ORIGIN}/`);
		const setCookie = result.callback.headers.getSetCookie().find((line) => line.startsWith('facet_session='))!;
		expect(setCookie).toMatch(/; HttpOnly/);
		expect(setCookie).toMatch(/; SameSite=Lax/);
		expect(setCookie).toMatch(/; Path=\/;/);
		expect(setCookie).toMatch(/; Max-Age=604800/);
		expect(setCookie).not.toMatch(/Secure/);
		// The cookie is the sealed session id, not the token or the user id.
		const session = (await sessionOf(result.sessionCookie))!;
		expect(result.sessionCookie).not.toContain(session.accessToken);
		expect(result.sessionCookie).not.toContain(session.userId);

		const me = await result.browser.fetch(`${bot.base}/users/@me`);
		expect(me.status).toBe(200);
		const body = (await me.json()) as Record<string, unknown>;
		expect(body).toEqual({ id: bot.emulator.seed.users.grace, username: 'grace', globalName: 'Grace', avatar: null });
		expect(JSON.stringify(body)).not.toContain(session.accessToken);
	});

	it('GIVEN a login started with ?next=/path THEN the callback lands there, and a foreign next is ignored', async () => {
		for (const [next, expected] of [
			['/guilds/1?tab=x', `${DASHBOARD_ORIGIN}/guilds/1?tab=x`],
			['//evil.test/x', `${DASHBOARD_ORIGIN}/`]
		] as const) {
			const b = browser();
			const start = await b.fetch(`${bot.base}/oauth/login?login_as=alan&next=${encodeURIComponent(next)}`);
			const authorize = await b.fetch(start.headers.get('location')!);
			const back = new URL(authorize.headers.get('location')!);
			secrets.codes.add(back.searchParams.get('code')!);
			const callback = await b.fetch(back.toString());
			secrets.cookies.add(b.cookies.get('facet_session')!);
			expect(callback.headers.get('location')).toBe(expected);
		}
	});

	it('GIVEN the login started THEN its state waits in Redis with a TTL of at most 10 minutes', async () => {
		const b = browser();
		const start = await b.fetch(`${bot.base}/oauth/login?login_as=grace`);
		const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
		secrets.states.add(state);
		const ttl = await container.redis.ttl(`${getApiServices().config.redisPrefix}oauth-state:${state}`);
		expect(ttl).toBeGreaterThan(590);
		expect(ttl).toBeLessThanOrEqual(600);
	});

	it('GIVEN sessions of grace (Admin) and ada (owner) THEN /guilds lists Facet Sandbox; GIVEN linus THEN it lists nothing', async () => {
		const guildId = bot.emulator.seed.guildId;
		for (const [who, access] of [
			['grace', 'manage_guild'],
			['ada', 'owner']
		] as const) {
			const { browser: b } = await loginAs(who);
			const response = await b.fetch(`${bot.base}/guilds`);
			expect(response.status).toBe(200);
			const { guilds } = (await response.json()) as { guilds: { id: string; name: string; access: string }[] };
			expect(guilds).toContainEqual(expect.objectContaining({ id: guildId, name: 'Facet Sandbox', access }));
		}
		const { browser: linus } = await loginAs('linus');
		const response = await linus.fetch(`${bot.base}/guilds`);
		expect(response.status).toBe(200);
		expect(((await response.json()) as { guilds: unknown[] }).guilds).toEqual([]);
	});

	it('GIVEN /guilds/:id THEN grace gets channels and roles, linus gets 403 forbidden, an unknown or malformed id 404 unknown_guild', async () => {
		const guildId = bot.emulator.seed.guildId;
		const { browser: grace } = await loginAs('grace');
		const detail = await grace.fetch(`${bot.base}/guilds/${guildId}`);
		expect(detail.status).toBe(200);
		const body = (await detail.json()) as { name: string; channels: { id: string; name: string }[]; roles: { id: string; name: string }[] };
		expect(body.name).toBe('Facet Sandbox');
		expect(body.channels.map((c) => c.name)).toEqual(expect.arrayContaining(['general', 'welcome', 'daily']));
		expect(body.roles.map((r) => r.name)).toEqual(expect.arrayContaining(['Admin', 'Member']));
		expect(body.roles.map((r) => r.id)).not.toContain(guildId);

		const { browser: linus } = await loginAs('linus');
		const forbidden = await linus.fetch(`${bot.base}/guilds/${guildId}`);
		expect(forbidden.status).toBe(403);
		expect(await forbidden.json()).toEqual({ error: 'forbidden' });

		for (const id of ['123456789012345678', 'not-a-guild', '1'.repeat(30)]) {
			const unknown = await grace.fetch(`${bot.base}/guilds/${id}`);
			expect(unknown.status).toBe(404);
			expect(await unknown.json()).toEqual({ error: 'unknown_guild' });
		}
	});

	it('GIVEN grace loses Manage Guild in Discord THEN her very next request is refused (checked from the bot view every time)', async () => {
		const guildId = bot.emulator.seed.guildId;
		const admin = bot.emulator.seed.roles.admin;
		const { browser: grace } = await loginAs('grace');
		expect((await grace.fetch(`${bot.base}/guilds/${guildId}`)).status).toBe(200);
		const client = container.client;
		const member = await client.guilds.cache.get(guildId)!.members.fetch(bot.emulator.seed.users.grace);
		await member.roles.remove(admin);
		try {
			await expect.poll(async () => (await grace.fetch(`${bot.base}/guilds/${guildId}`)).status, { timeout: 5_000 }).toBe(403);
		} finally {
			await member.roles.add(admin);
		}
		await expect.poll(async () => (await grace.fetch(`${bot.base}/guilds/${guildId}`)).status, { timeout: 5_000 }).toBe(200);
	});
});

describe('the OAuth state check', () => {
	async function startLogin(who: string) {
		const b = browser();
		const start = await b.fetch(`${bot.base}/oauth/login?login_as=${who}`);
		const authorize = await fetch(start.headers.get('location')!, { redirect: 'manual' });
		const back = new URL(authorize.headers.get('location')!);
		secrets.codes.add(back.searchParams.get('code')!);
		secrets.states.add(back.searchParams.get('state')!);
		return { b, back };
	}

	it('GIVEN a callback with no state, a wrong state, or a state minted for another browser THEN 400 invalid_state and no session', async () => {
		const alan = bot.emulator.seed.users.alan;
		const before = await sessionCountOf(alan);
		const { b, back } = await startLogin('alan');
		const code = back.searchParams.get('code')!;

		const missing = await b.fetch(`${bot.base}/oauth/callback?code=${code}`);
		expect(missing.status).toBe(400);
		expect(await missing.json()).toEqual({ error: 'invalid_state' });

		const wrong = await b.fetch(`${bot.base}/oauth/callback?code=${code}&state=${'A'.repeat(43)}`);
		expect(wrong.status).toBe(400);
		expect(await wrong.json()).toEqual({ error: 'invalid_state' });

		// Login CSRF: a valid state and code from someone else's login, replayed in another browser.
		const other = await startLogin('alan');
		const foreign = await browser().fetch(other.back.toString());
		expect(foreign.status).toBe(400);
		expect(await foreign.json()).toEqual({ error: 'invalid_state' });

		for (const response of [missing, wrong, foreign])
			expect(response.headers.getSetCookie().some((c) => c.startsWith('facet_session='))).toBe(false);
		expect(await sessionCountOf(alan)).toBe(before);
	});

	it('GIVEN a callback replayed with the same state THEN the second one is refused (single use) and makes no session', async () => {
		const alan = bot.emulator.seed.users.alan;
		const { b, back } = await startLogin('alan');
		const binding = b.cookies.get('facet_oauth_state')!;
		const first = await b.fetch(back.toString());
		expect(first.status).toBe(302);
		secrets.cookies.add(b.cookies.get('facet_session')!);
		const after = await sessionCountOf(alan);

		const replay = await fetch(back.toString(), {
			redirect: 'manual',
			headers: { cookie: `facet_oauth_state=${binding}`, 'x-forwarded-for': address() }
		});
		expect(replay.status).toBe(400);
		expect(await replay.json()).toEqual({ error: 'invalid_state' });
		expect(await sessionCountOf(alan)).toBe(after);
	});

	it('GIVEN a login in progress THEN cross-site hits on the callback (no state, a made-up state, another login’s state, no cookie) leave it alone, and the login completes', async () => {
		const { b, back } = await startLogin('grace');
		const binding = b.cookies.get('facet_oauth_state')!;
		const other = await startLogin('linus');
		const hits = [
			// A cross-site image or link: the browser sends its cookies on a top-level navigation, so these carry the binding.
			`${bot.base}/oauth/callback`,
			`${bot.base}/oauth/callback?code=x&state=${'A'.repeat(43)}`,
			`${bot.base}/oauth/callback?error=access_denied`,
			other.back.toString()
		];
		for (const url of hits) {
			const hit = await b.fetch(url, { headers: { 'sec-fetch-site': 'cross-site' } });
			expect([url, hit.status, ((await hit.json()) as { error: string }).error]).toEqual([url, 400, 'invalid_state']);
			expect(hit.headers.getSetCookie(), url).toEqual([]);
			expect(b.cookies.get('facet_oauth_state')).toBe(binding);
		}
		// Without the cookie (a subresource, where SameSite=Lax withholds it): refused, and still nothing is cleared.
		const bare = await fetch(`${bot.base}/oauth/callback?state=${back.searchParams.get('state')}`, {
			headers: { 'x-forwarded-for': address() },
			redirect: 'manual'
		});
		expect(bare.status).toBe(400);
		expect(bare.headers.getSetCookie()).toEqual([]);

		const callback = await b.fetch(back.toString());
		expect(callback.status).toBe(302);
		expect(callback.headers.get('location')).toBe(`${DASHBOARD_ORIGIN}/`);
		secrets.cookies.add(b.cookies.get('facet_session')!);
		expect(b.cookies.has('facet_oauth_state')).toBe(false);
		const me = await b.fetch(`${bot.base}/users/@me`);
		expect(((await me.json()) as { username: string }).username).toBe('grace');
	});

	it('GIVEN a login THEN it asks for an S256 PKCE challenge whose verifier stays in Redis, and sends that verifier with the code', async () => {
		const b = browser();
		const start = await b.fetch(`${bot.base}/oauth/login?login_as=grace`);
		const authorize = new URL(start.headers.get('location')!);
		const state = authorize.searchParams.get('state')!;
		secrets.states.add(state);
		expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
		const challenge = authorize.searchParams.get('code_challenge')!;
		const stored = JSON.parse((await container.redis.get(`${getApiServices().config.redisPrefix}oauth-state:${state}`))!) as {
			verifier: string;
		};
		expect(stored.verifier).toMatch(/^[\w-]{43}$/);
		expect(createHash('sha256').update(stored.verifier).digest('base64url')).toBe(challenge);
		// The verifier is nowhere the browser can see it.
		expect(start.headers.get('location')).not.toContain(stored.verifier);
		for (const cookie of start.headers.getSetCookie()) expect(cookie).not.toContain(stored.verifier);
		const approved = await b.fetch(authorize.toString());
		const callback = await b.fetch(approved.headers.get('location')!);
		expect(callback.status).toBe(302);
		secrets.cookies.add(b.cookies.get('facet_session')!);
	});

	it('GIVEN a code issued to someone else (code injection) THEN PKCE makes the exchange fail and no session is made, even with this browser’s state', async () => {
		const linus = bot.emulator.seed.users.linus;
		const before = await sessionCountOf(linus);
		const b = browser();
		// The attacker's own authorization for Facet's redirect URI, with a challenge of their own (or none at all).
		for (const challenge of [createHash('sha256').update('x'.repeat(43)).digest('base64url'), null]) {
			const query = new URLSearchParams({
				client_id: bot.emulator.applicationId,
				redirect_uri: `${bot.base}/oauth/callback`,
				response_type: 'code',
				scope: 'identify guilds',
				login_as: 'linus'
			});
			if (challenge) {
				query.set('code_challenge', challenge);
				query.set('code_challenge_method', 'S256');
			}
			const theirs = await fetch(`${bot.emulator.baseUrl}/oauth2/authorize?${query}`, { redirect: 'manual' });
			const code = new URL(theirs.headers.get('location')!).searchParams.get('code')!;
			secrets.codes.add(code);
			// The victim's browser, mid-login with its own state, is sent back with the attacker's code.
			const start = await b.fetch(`${bot.base}/oauth/login?login_as=grace`);
			const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
			secrets.states.add(state);
			const injected = await b.fetch(`${bot.base}/oauth/callback?code=${code}&state=${state}`);
			expect([injected.status, ((await injected.json()) as { error: string }).error]).toEqual([502, 'oauth_failed']);
			expect(injected.headers.getSetCookie().some((c) => c.startsWith('facet_session='))).toBe(false);
		}
		expect(await sessionCountOf(linus)).toBe(before);
		expect(b.cookies.has('facet_session')).toBe(false);
	});

	it('GIVEN the user denies access at Discord THEN the state is spent and the browser lands on the dashboard with login_error', async () => {
		const b = browser();
		const start = await b.fetch(`${bot.base}/oauth/login`);
		const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
		secrets.states.add(state);
		const denied = await b.fetch(`${bot.base}/oauth/callback?error=access_denied&state=${state}`);
		expect(denied.status).toBe(302);
		expect(denied.headers.get('location')).toBe(`${DASHBOARD_ORIGIN}/?login_error=access_denied`);
		expect(await container.redis.exists(`${getApiServices().config.redisPrefix}oauth-state:${state}`)).toBe(0);
	});
});

describe('session cookies', () => {
	it('GIVEN a cookie with any byte flipped, truncated, garbage, empty or huge THEN 401 unauthorized as JSON (never 500) and the cookie is cleared', async () => {
		const { sessionCookie } = await loginAs('grace');
		const raw = Buffer.from(sessionCookie, 'base64url');
		const variants: string[] = [
			sessionCookie.slice(0, -3),
			sessionCookie.slice(0, 20),
			'garbage',
			'',
			'%ZZ',
			'x'.repeat(4000),
			`${sessionCookie}${sessionCookie}`
		];
		for (const index of [0, 5, 20, raw.length - 1]) {
			const copy = Buffer.from(raw);
			copy[index] = copy[index]! ^ 0x80;
			variants.push(copy.toString('base64url'));
		}
		for (const value of variants) {
			const response = await fetch(`${bot.base}/users/@me`, {
				headers: { cookie: `facet_session=${value}`, 'x-forwarded-for': address() }
			});
			expect(response.status, `cookie ${value.slice(0, 30)}`).toBe(401);
			expect(response.headers.get('content-type')).toContain('application/json');
			expect(await response.json()).toEqual({ error: 'unauthorized' });
		}
		const cleared = await fetch(`${bot.base}/users/@me`, { headers: { cookie: 'facet_session=garbage', 'x-forwarded-for': address() } });
		expect(cleared.headers.getSetCookie().find((c) => c.startsWith('facet_session='))).toMatch(/Max-Age=0/);
		// The untouched cookie still works: the refusals above were about the bytes, not the session.
		const ok = await fetch(`${bot.base}/users/@me`, {
			headers: { cookie: `facet_session=${sessionCookie}`, 'x-forwarded-for': address() }
		});
		expect(ok.status).toBe(200);
	});

	it('GIVEN a session that expired in Redis THEN its cookie gets 401', async () => {
		const { browser: b, sessionCookie } = await loginAs('margaret');
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(200);
		await container.redis.pexpire(`${getApiServices().config.redisPrefix}session:${getApiServices().sealer!.open(sessionCookie)}`, 1);
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(401);
	});

	it('GIVEN logout THEN the session is deleted, the cookie cleared, the old cookie gets 401 and the OAuth token is revoked at Discord', async () => {
		const { browser: b, sessionCookie } = await loginAs('grace');
		const token = (await sessionOf(sessionCookie))!.accessToken;
		const atDiscord = () => fetch(`${bot.emulator.baseUrl}/api/v10/users/@me`, { headers: { authorization: `Bearer ${token}` } });
		expect((await atDiscord()).status).toBe(200);

		const out = await b.fetch(`${bot.base}/oauth/logout`, { method: 'POST', headers: { origin: DASHBOARD_ORIGIN } });
		expect(out.status).toBe(204);
		expect(out.headers.getSetCookie().find((c) => c.startsWith('facet_session='))).toMatch(/Max-Age=0/);
		expect(b.cookies.has('facet_session')).toBe(false);

		const old = await fetch(`${bot.base}/users/@me`, {
			headers: { cookie: `facet_session=${sessionCookie}`, 'x-forwarded-for': address() }
		});
		expect(old.status).toBe(401);
		expect(await sessionOf(sessionCookie)).toBeNull();
		expect((await atDiscord()).status).toBe(401);
	});

	it('GIVEN a TLS-terminating proxy says https THEN the session cookie is Secure', async () => {
		const result = await login(bot, 'ada', new Browser(bot.base, { 'x-forwarded-for': address(), 'x-forwarded-proto': 'https' }));
		secrets.cookies.add(result.sessionCookie);
		secrets.codes.add(result.code);
		expect(result.callback.headers.getSetCookie().find((c) => c.startsWith('facet_session='))).toMatch(/; Secure/);
	});
});

describe('CORS', () => {
	it('GIVEN a preflight from DASHBOARD_ORIGIN THEN it is granted with credentials; GIVEN another origin THEN no grant', async () => {
		const preflight = (origin: string) =>
			fetch(`${bot.base}/guilds`, {
				method: 'OPTIONS',
				headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'content-type' }
			});
		const granted = await preflight(DASHBOARD_ORIGIN);
		expect(granted.status).toBe(204);
		expect(granted.headers.get('access-control-allow-origin')).toBe(DASHBOARD_ORIGIN);
		expect(granted.headers.get('access-control-allow-credentials')).toBe('true');
		expect(granted.headers.get('access-control-allow-methods')).toContain('GET');
		expect(granted.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');

		for (const origin of ['https://evil.test', 'http://dashboard.test:5174', 'null']) {
			const refused = await preflight(origin);
			expect(refused.headers.get('access-control-allow-origin')).toBeNull();
			expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
		}
	});

	it('GIVEN requests with an Origin THEN only the dashboard gets Access-Control-Allow-Origin, never *', async () => {
		const { browser: b } = await loginAs('grace');
		const ours = await b.fetch(`${bot.base}/users/@me`, { headers: { origin: DASHBOARD_ORIGIN } });
		expect(ours.headers.get('access-control-allow-origin')).toBe(DASHBOARD_ORIGIN);
		expect(ours.headers.get('vary')).toContain('Origin');
		const theirs = await b.fetch(`${bot.base}/users/@me`, { headers: { origin: 'https://evil.test' } });
		expect(theirs.headers.get('access-control-allow-origin')).toBeNull();
	});

	it('GIVEN a write with the session cookie but neither Origin nor Sec-Fetch-Site: same-origin THEN 403 forbidden_origin; GIVEN same-origin or no cookie THEN it passes', async () => {
		const { browser: b } = await loginAs('grace');
		const logout = (headers: Record<string, string>) =>
			fetch(`${bot.base}/oauth/logout`, { method: 'POST', redirect: 'manual', headers: { 'x-forwarded-for': address(), ...headers } });
		for (const site of [undefined, 'cross-site', 'same-site', 'none']) {
			const refused = await logout({ cookie: b.cookieHeader(), ...(site ? { 'sec-fetch-site': site } : {}) });
			expect([site, refused.status, await refused.json()]).toEqual([site, 403, { error: 'forbidden_origin' }]);
		}
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(200);
		// No cookie: nobody's authority is used, so a tool without Origin still gets the route's own answer.
		expect((await logout({})).status).toBe(204);
		// Same-origin without Origin (what some browsers send for same-origin requests): allowed.
		const out = await logout({ cookie: b.cookieHeader(), 'sec-fetch-site': 'same-origin' });
		expect(out.status).toBe(204);
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(401);
	});

	it('GIVEN a cross-site POST carrying the session cookie THEN 403 forbidden_origin and nothing happens', async () => {
		const { browser: b } = await loginAs('grace');
		const forged = await b.fetch(`${bot.base}/oauth/logout`, { method: 'POST', headers: { origin: 'https://evil.test' } });
		expect(forged.status).toBe(403);
		expect(await forged.json()).toEqual({ error: 'forbidden_origin' });
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(200);
	});
});

describe('request bodies', () => {
	const chunked = (size: number) =>
		new ReadableStream({
			start(controller) {
				for (let sent = 0; sent < size; sent += 4096) controller.enqueue(new TextEncoder().encode(' '.repeat(Math.min(4096, size - sent))));
				controller.close();
			}
		});

	it('GIVEN a body over 64 KB with Content-Length THEN 413 payload_too_large and the route did not run', async () => {
		const { browser: b } = await loginAs('grace');
		const body = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
		const response = await b.fetch(`${bot.base}/oauth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
		expect(response.status).toBe(413);
		expect(((await response.json()) as { error: string }).error).toBe('payload_too_large');
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(200);
	});

	it('GIVEN a chunked body over 64 KB with no Content-Length THEN 413 too, counted while reading', async () => {
		const { browser: b } = await loginAs('grace');
		const response = await b.fetch(`${bot.base}/oauth/logout`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: chunked(70 * 1024),
			duplex: 'half'
		} as RequestInit);
		expect(response.status).toBe(413);
		expect(((await response.json()) as { error: string }).error).toBe('payload_too_large');
		expect((await b.fetch(`${bot.base}/users/@me`)).status).toBe(200);
	});

	it('GIVEN a chunked body of exactly 64 KB THEN it is accepted (the limit is inclusive)', async () => {
		const { browser: b } = await loginAs('grace');
		const response = await b.fetch(`${bot.base}/oauth/logout`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: chunked(64 * 1024 - 2).pipeThrough(
				new TransformStream({
					start(controller) {
						controller.enqueue(new TextEncoder().encode('{'));
					},
					flush(controller) {
						controller.enqueue(new TextEncoder().encode('}'));
					}
				})
			),
			duplex: 'half'
		} as RequestInit);
		expect(response.status).toBe(204);
	});

	it('GIVEN a body that is not JSON THEN 400 invalid_json', async () => {
		const { browser: b } = await loginAs('grace');
		for (const body of ['{', '{"a":', 'nope', '\u0000']) {
			const response = await b.fetch(`${bot.base}/oauth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
			expect(response.status).toBe(400);
			expect(await response.json()).toEqual({ error: 'invalid_json' });
		}
	});
});

describe('rate limits', () => {
	it('GIVEN one session past 120 requests in a window THEN 429 rate_limited with Retry-After, and another session is unaffected', async () => {
		const { browser: b } = await loginAs('alan');
		const statuses: number[] = [];
		let last: Response | undefined;
		for (let i = 0; i < 121; i++) {
			last = await b.fetch(`${bot.base}/users/@me`);
			statuses.push(last.status);
		}
		expect(statuses.slice(0, 120).every((status) => status === 200)).toBe(true);
		expect(statuses[120]).toBe(429);
		const retryAfter = Number(last!.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(retryAfter).toBeLessThanOrEqual(60);
		expect(((await last!.json()) as { error: string }).error).toBe('rate_limited');

		const { browser: other } = await loginAs('alan');
		expect((await other.fetch(`${bot.base}/users/@me`)).status).toBe(200);
	});

	it('GIVEN one address without a session past 120 requests THEN it gets 429 too, and health probes are never limited', async () => {
		const ip = address();
		let last: Response | undefined;
		for (let i = 0; i < 121; i++) last = await fetch(`${bot.base}/users/@me`, { headers: { 'x-forwarded-for': ip } });
		expect(last!.status).toBe(429);
		expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
		expect((await fetch(`${bot.base}/livez`, { headers: { 'x-forwarded-for': ip } })).status).toBe(200);
	});

	it('GIVEN one proxy hop (API_TRUST_PROXY=true) and a client rotating the leftmost X-Forwarded-For entry THEN it still gets 429', async () => {
		// The proxy appends the address it saw; everything left of it is the client's own invention. A random address:
		// Redis keeps the window's count across quick reruns of this file.
		const ip = [randomInt(1, 224), randomInt(256), randomInt(256), randomInt(1, 255)].join('.');
		const statuses: number[] = [];
		for (let i = 0; i < 121; i++) {
			const forged = `203.0.113.${i % 250}, ${ip}`;
			statuses.push((await fetch(`${bot.base}/users/@me`, { headers: { 'x-forwarded-for': forged } })).status);
		}
		expect(statuses.slice(0, 120).every((status) => status === 401)).toBe(true);
		expect(statuses[120]).toBe(429);
	});
});

describe('unknown routes and methods', () => {
	it('GIVEN an unknown path or a wrong method THEN JSON 404 not_found / 405 method_not_allowed', async () => {
		const missing = await fetch(`${bot.base}/nope`, { headers: { 'x-forwarded-for': address() } });
		expect(missing.status).toBe(404);
		expect(await missing.json()).toEqual({ error: 'not_found' });
		const wrong = await fetch(`${bot.base}/users/@me`, { method: 'DELETE', headers: { 'x-forwarded-for': address() } });
		expect(wrong.status).toBe(405);
		expect(await wrong.json()).toEqual({ error: 'method_not_allowed' });
	});
});

describe('logs', () => {
	it('GIVEN the whole run THEN no session cookie, OAuth code, state, access token or client secret appears in the log', () => {
		const log = bot.logs.join('');
		// The capture works: the logins of this run are in it.
		expect(log).toContain('dashboard login');
		// No SESSION_SECRET in this sandbox run: the random per-process key is announced (never printed).
		expect(log).toContain('SESSION_SECRET is unset');
		expect(secrets.cookies.size).toBeGreaterThan(5);
		expect(secrets.codes.size).toBeGreaterThan(5);
		expect(secrets.tokens.size).toBeGreaterThan(5);
		const all = [...secrets.cookies, ...secrets.codes, ...secrets.states, ...secrets.tokens, SANDBOX_CLIENT_SECRET].filter(
			(s) => s.length >= 8
		);
		const leaked = all.filter((secret) => log.includes(secret));
		expect(leaked).toEqual([]);
	});
});
