import { container } from '@sapphire/pieces';
import type { Route } from '@sapphire/plugin-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getApiServices, isGuildRoute, sessionRateLimitKey } from '../../src/core/api/index.ts';
import { plugins as listedPlugins } from '../../src/plugins/index.ts';
import { echoPlugin } from '../fixtures/plugins/echo/index.ts';
import { query, tableHashes } from '../helpers/postgres.ts';
import { ApiTestNotesRoute } from './fixtures/notes-route.ts';
import { type GuildRouteSpec, guildRouteSpecs } from './guild-route-specs.ts';
import { type ApiBot, type Browser, DASHBOARD_ORIGIN, login, startApiBot } from './helpers.ts';

/*
 * Every route in the route store whose path has a `[guild]` parameter — core routes, plugin routes, and any added
 * later — gets the same checks: 401 without a session, 403 for a member without rights and for a manager of
 * another guild, 404 for a guild the bot is not in, 429 past the rate limit; writing routes also get ≥ 200
 * generated bad bodies and every hostile body — NUL, control characters, unpaired surrogates, over-long strings,
 * JSON nested 5,000 deep, integers beyond 2^53 — (400 `invalid_body` with field errors, never 5xx, nothing written).
 */

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RATE_LIMIT = 100_000;
const UNKNOWN_GUILD = '123456789012345678';
/** What the guard answers; a manager must never get these from a route. */
const GUARD_ERRORS = ['unauthorized', 'forbidden', 'unknown_guild', 'rate_limited'];

interface Case {
	route: Route;
	method: string;
	key: string;
	spec: GuildRouteSpec | undefined;
	write: boolean;
}

let bot: ApiBot;
let guild1: string;
let guild2: string;
const users: Record<'grace' | 'linus' | 'margaret' | 'ada', Browser> = {} as never;
let cases: Case[] = [];
/** Each writing route's state per guild before the matrix ran. */
const initialState = new Map<string, unknown>();
const writing = () => cases.filter((c) => c.write && c.spec?.readState);

function urlOf(testCase: Case, guildId: string, override?: Record<string, string>): string {
	const params = override ?? testCase.spec?.params?.({ guildId }) ?? {};
	const parts = testCase.route.path.map((part) => {
		if (part === '[guild]' || part === ':guild') return guildId;
		const name = /^\[(.+)\]$/.exec(part)?.[1];
		return name ? encodeURIComponent(params[name] ?? '1') : part;
	});
	return `${bot.base}/${parts.join('/')}`;
}

interface SendOptions {
	body?: unknown;
	raw?: string;
	params?: Record<string, string>;
}

function send(testCase: Case, guildId: string, as: Browser | null, { body, raw, params }: SendOptions = {}): Promise<Response> {
	const payload =
		raw ?? (testCase.write ? JSON.stringify(body !== undefined ? body : (testCase.spec?.validBody?.({ guildId }) ?? {})) : undefined);
	const init: RequestInit = {
		method: testCase.method,
		headers: { origin: DASHBOARD_ORIGIN, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
		...(payload === undefined ? {} : { body: payload })
	};
	const url = urlOf(testCase, guildId, params);
	return as ? as.fetch(url, init) : fetch(url, { ...init, redirect: 'manual' });
}

async function errorOf(response: Response): Promise<unknown> {
	const text = await response.text();
	try {
		return (JSON.parse(text) as { error?: unknown }).error;
	} catch {
		return text;
	}
}

/** Tables written in the background, whatever the API does (the echo fixture's scheduled task logs its ticks). */
const BACKGROUND_TABLES = new Set(['echo_entry']);

/** Every table's rows, hashed: two equal snapshots mean nothing was written to the database. */
async function dbSnapshot(): Promise<Record<string, string>> {
	const tables = await query<{ name: string }>(
		bot.db.url,
		"select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'mikro_orm_migrations' order by 1"
	);
	return tableHashes(
		bot.db.url,
		tables.map((table) => table.name).filter((name) => !BACKGROUND_TABLES.has(name))
	);
}

beforeAll(async () => {
	bot = await startApiBot({ plugins: [...listedPlugins, echoPlugin], env: { API_RATE_LIMIT_MAX: String(RATE_LIMIT) } });
	await container.stores.loadPiece({ store: 'routes', name: 'apitestNotes', piece: ApiTestNotesRoute });
	guild1 = bot.emulator.seed.guildId;
	// A second guild, owned by margaret (a member without rights in the first one); the bot is in it too.
	const created = await fetch(`${bot.emulator.baseUrl}/_emulator/guilds`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ name: 'Other Guild', owner_id: bot.emulator.seed.users.margaret })
	});
	expect(created.status).toBe(201);
	guild2 = ((await created.json()) as { id: string }).id;
	await vi.waitFor(() => {
		if (!container.client.guilds.cache.has(guild2)) throw new Error('the bot has not joined guild 2 yet');
	}, 10_000);
	for (const who of ['grace', 'linus', 'margaret', 'ada'] as const) users[who] = (await login(bot, who)).browser;

	cases = [...container.server.routes.values()]
		.filter((route) => isGuildRoute(route.path))
		.flatMap((route) =>
			[...route.methods].map((method) => {
				const key = `${method} ${route.path.join('/')}`;
				return { route, method, key, spec: guildRouteSpecs[key], write: WRITE_METHODS.has(method) };
			})
		);
	for (const c of writing())
		for (const guildId of [guild1, guild2]) initialState.set(`${c.key} ${guildId}`, await c.spec!.readState!({ guildId }));
});

afterAll(async () => {
	for (const guildId of [guild1, guild2]) await container.redis?.del(`facet:test:${process.pid}:notes:${guildId}`);
	await bot?.stop();
});

describe('the guild route matrix', () => {
	it('GIVEN the route store THEN it finds the core, plugin and fixture guild routes (the matrix is not empty)', () => {
		const keys = cases.map((c) => c.key);
		expect(keys).toContain('GET guilds/[guild]');
		expect(keys).toContain('GET echo/guilds/[guild]/entries');
		expect(keys).toContain('POST apitest/guilds/[guild]/notes');
	});

	it('GIVEN every writing guild route THEN each has a spec (how to read its state; what it accepts and a valid body)', () => {
		const complete = (spec: GuildRouteSpec | undefined) =>
			spec?.readState !== undefined && (spec.body === 'none' || (spec.accepts !== undefined && spec.validBody !== undefined));
		const missing = cases.filter((c) => c.write && !complete(c.spec)).map((c) => c.key);
		expect(missing, 'add these to guildRouteSpecs in test/api/guild-route-specs.ts').toEqual([]);
	});

	it('GIVEN no session THEN every guild route answers 401 unauthorized', async () => {
		for (const c of cases) {
			const response = await send(c, guild1, null);
			expect([c.key, response.status, await errorOf(response)]).toEqual([c.key, 401, 'unauthorized']);
		}
	});

	it('GIVEN a member without rights (linus) THEN every guild route answers 403 forbidden', async () => {
		for (const c of cases) {
			const response = await send(c, guild1, users.linus);
			expect([c.key, response.status, await errorOf(response)]).toEqual([c.key, 403, 'forbidden']);
		}
	});

	it('GIVEN a manager of another guild THEN 403 forbidden (margaret owns guild 2 only; grace manages guild 1 only)', async () => {
		for (const c of cases) {
			const margaret = await send(c, guild1, users.margaret);
			expect([c.key, margaret.status, await errorOf(margaret)]).toEqual([c.key, 403, 'forbidden']);
			const grace = await send(c, guild2, users.grace);
			expect([c.key, grace.status, await errorOf(grace)]).toEqual([c.key, 403, 'forbidden']);
		}
	});

	it('GIVEN a guild the bot is not in THEN 404 unknown_guild', async () => {
		for (const c of cases) {
			const response = await send(c, UNKNOWN_GUILD, users.grace);
			expect([c.key, response.status, await errorOf(response)]).toEqual([c.key, 404, 'unknown_guild']);
		}
	});

	it('GIVEN the refusals above THEN no writing route wrote anything', async () => {
		for (const c of writing()) {
			for (const guildId of [guild1, guild2])
				expect([c.key, await c.spec!.readState!({ guildId })]).toEqual([c.key, initialState.get(`${c.key} ${guildId}`)]);
		}
	});

	it('GIVEN a manager (grace in guild 1, margaret in guild 2, ada as owner) THEN every reading guild route lets them through (the positive control)', async () => {
		for (const c of cases.filter((c) => !c.write)) {
			for (const [guildId, who] of [
				[guild1, users.grace],
				[guild1, users.ada],
				[guild2, users.margaret]
			] as const) {
				const response = await send(c, guildId, who);
				const error = response.ok ? undefined : await errorOf(response);
				// With its parameters named, a route must succeed; without, only the guard's own refusals are wrong.
				const passed = c.spec?.params ? response.ok : response.status < 500 && !GUARD_ERRORS.includes(error as string);
				expect([c.key, guildId, response.status, passed]).toEqual([c.key, guildId, response.status, true]);
			}
		}
	});

	it('GIVEN a session past the rate limit THEN every guild route answers 429 with Retry-After', async () => {
		const session = getApiServices().sealer!.open((await login(bot, 'ada')).sessionCookie)!;
		const { browser: ada } = await login(bot, 'ada');
		const id = getApiServices().sealer!.open(ada.cookies.get('facet_session')!)!;
		expect(id).not.toBe(session);
		const key = sessionRateLimitKey(id);
		for (const c of cases) {
			// Another process (or this one) used up the window: the count lives in Redis.
			await container.redis.set(key, String(RATE_LIMIT), 'PX', 30_000);
			const response = await send(c, guild1, ada);
			expect([c.key, response.status, await errorOf(response)]).toEqual([c.key, 429, 'rate_limited']);
			expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
		}
		await container.redis.del(key);
	});
});

/** A value nested `depth` arrays deep (built without recursion). */
function nested(depth: number): unknown {
	let value: unknown = [];
	for (let i = 1; i < depth; i++) value = [value];
	return value;
}

/**
 * Values no route may store whatever its schema says: they reached PostgreSQL (NUL, unpaired surrogates in JSONB)
 * or overflowed the body check (deep nesting) and came back 503, or are numbers no column holds.
 */
const HOSTILE_VALUES: Record<string, unknown> = {
	'NUL character': 'a\u0000b',
	'control character': 'bell\u0007',
	'unpaired surrogate': 'x\ud800',
	'over-long string': 'x'.repeat(20_000),
	'JSON nested 5,000 levels deep': nested(5_000),
	'integer beyond 2^53': 2 ** 53 + 2,
	'integer far out of range': 1e300,
	'negative integer out of range': -1e20
};

/** Each hostile value in each key of the valid body, under a hostile key, and as the whole body. */
function hostileBodies(valid: Record<string, unknown>): { label: string; body: unknown }[] {
	const bodies: { label: string; body: unknown }[] = [];
	for (const [label, value] of Object.entries(HOSTILE_VALUES)) {
		for (const key of Object.keys(valid)) bodies.push({ label: `${label} in "${key}"`, body: { ...valid, [key]: value } });
		bodies.push({ label: `${label} as the body`, body: value });
	}
	bodies.push({ label: 'NUL in a key', body: { ...valid, 'k\u0000': 1 } });
	bodies.push({ label: 'over-long key', body: { ...valid, ['k'.repeat(5_000)]: 1 } });
	return bodies;
}

/**
 * Bodies a JSON writing route must refuse: wrong top-level types, missing, mistyped and unknown keys, random objects
 * (unless the route's mirror accepts them), and the hostile bodies above (always bad, whatever the mirror says).
 */
function badBodies(spec: GuildRouteSpec, guildId: string): fc.Arbitrary<unknown> {
	const valid = spec.validBody!({ guildId });
	const keys = Object.keys(valid);
	const value = fc.jsonValue({ maxDepth: 2 });
	const generated = fc
		.oneof(
			fc.oneof(fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.array(value, { maxLength: 4 })),
			fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
			fc.tuple(fc.constantFrom(...keys), value).map(([key, v]) => ({ ...valid, [key]: v })),
			fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), value).map(([key, v]) => ({ ...valid, [key]: v })),
			fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 6 })
		)
		.filter((body) => !spec.accepts!(JSON.parse(JSON.stringify(body) ?? 'null')));
	return fc.oneof(
		{ arbitrary: generated, weight: 4 },
		{ arbitrary: fc.constantFrom(...hostileBodies(valid).map((b) => b.body)), weight: 1 }
	);
}

describe('writing guild routes with bad bodies', () => {
	it('GIVEN ≥ 200 generated bad bodies per writing route THEN 400 invalid_body with field errors (no-body routes: a 4xx), never 500, nothing written', async () => {
		const before = await dbSnapshot();
		expect(writing().length).toBeGreaterThan(0);
		for (const c of writing()) {
			const state = await c.spec!.readState!({ guildId: guild1 });
			const json = c.spec!.body !== 'none';
			let runs = 0;
			await fc.assert(
				fc.asyncProperty(json ? badBodies(c.spec!, guild1) : fc.jsonValue({ maxDepth: 3 }), async (body) => {
					runs++;
					const response = await send(c, guild1, users.grace, { body });
					const answer = (await response.json()) as { error: string; fields?: Record<string, unknown> };
					if (!json) {
						expect([c.key, response.status >= 400 && response.status < 500]).toEqual([c.key, true]);
						return;
					}
					expect([c.key, response.status, answer.error]).toEqual([c.key, 400, 'invalid_body']);
					expect(Object.keys(answer.fields ?? {}).length).toBeGreaterThan(0);
					for (const messages of Object.values(answer.fields!)) {
						expect(Array.isArray(messages) && messages.every((m) => typeof m === 'string')).toBe(true);
					}
				}),
				{ numRuns: 200 }
			);
			expect(runs).toBeGreaterThanOrEqual(200);
			expect([c.key, await c.spec!.readState!({ guildId: guild1 })]).toEqual([c.key, state]);
		}
		expect(await dbSnapshot()).toEqual(before);
		// 200 requests per writing route: the time grows with every route added, so the default 60 s is not enough.
	}, 240_000);

	it('GIVEN every hostile body (NUL, control characters, over-long strings, deep JSON, out-of-range numbers) THEN the right 4xx, never 5xx, nothing written', async () => {
		const before = await dbSnapshot();
		for (const c of writing()) {
			const state = await c.spec!.readState!({ guildId: guild1 });
			const valid = c.spec!.body === 'none' ? { stray: true } : c.spec!.validBody!({ guildId: guild1 });
			for (const { label, body } of hostileBodies(valid)) {
				const response = await send(c, guild1, users.grace, { body });
				const answer = (await response.json()) as { error: string; fields?: Record<string, string[]> };
				if (c.spec!.body === 'none') {
					// The route reads no body; it may refuse it (400) or its own parameters (404), never fail.
					expect([c.key, label, response.status >= 400 && response.status < 500]).toEqual([c.key, label, true]);
					continue;
				}
				expect([c.key, label, response.status, answer.error]).toEqual([c.key, label, 400, 'invalid_body']);
				expect([c.key, label, Object.keys(answer.fields ?? {}).length > 0]).toEqual([c.key, label, true]);
			}
			expect([c.key, await c.spec!.readState!({ guildId: guild1 })]).toEqual([c.key, state]);
		}
		expect(await dbSnapshot()).toEqual(before);
	});

	it('GIVEN bodies that are not JSON at all THEN 400 invalid_json, nothing written', async () => {
		const before = await dbSnapshot();
		const notJson = fc.string({ minLength: 1, maxLength: 200 }).filter((text) => {
			try {
				JSON.parse(text);
				return false;
			} catch {
				return true;
			}
		});
		for (const c of writing()) {
			const state = await c.spec!.readState!({ guildId: guild1 });
			await fc.assert(
				fc.asyncProperty(notJson, async (raw) => {
					const response = await send(c, guild1, users.grace, { raw });
					expect([c.key, response.status, await errorOf(response)]).toEqual([c.key, 400, 'invalid_json']);
				}),
				{ numRuns: 50 }
			);
			expect(await c.spec!.readState!({ guildId: guild1 })).toEqual(state);
		}
		expect(await dbSnapshot()).toEqual(before);
	});

	it('GIVEN the valid example from a manager THEN it is accepted and the state changes (readState sees writes; a preview writes nothing)', async () => {
		for (const c of writing()) {
			const params = await c.spec!.prepare?.({ guildId: guild1 });
			const state = await c.spec!.readState!({ guildId: guild1 });
			const response = await send(c, guild1, users.grace, { ...(params ? { params } : {}) });
			expect([c.key, response.status, response.ok]).toEqual([c.key, response.status, true]);
			if (c.spec!.writesNothing) expect([c.key, await c.spec!.readState!({ guildId: guild1 })]).toEqual([c.key, state]);
			else expect([c.key, await c.spec!.readState!({ guildId: guild1 })]).not.toEqual([c.key, state]);
		}
	});
});
