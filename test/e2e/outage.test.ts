import { container } from '@sapphire/framework';
import type { APIApplicationCommandOption } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBot, Browser, DASHBOARD_ORIGIN, login, startApiBot } from '../api/helpers.ts';
import { interact, waitUntil } from '../helpers/sandbox.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

/*
 * A bad day: the bot reaches PostgreSQL and Redis through TCP proxies the test can pause (connections stay open,
 * nothing answers, as with a stopped or unreachable host). Every command must still be answered within Discord's 3 s
 * (an error saying the database is unreachable), no interaction may expire (10062), and every API route must answer
 * within 2 s.
 */

let bot: ApiBot;
let grace: Browser;
let seed: ApiBot['emulator']['seed'];
let pg: TcpProxy;
let redis: TcpProxy;
/** Interaction callbacks and webhook edits the emulator refused (10062 and friends). */
const refusedCallbacks: string[] = [];

const COMMAND_BOUND_MS = 3_000;
const ROUTE_BOUND_MS = 2_000;

beforeAll(async () => {
	pg = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
	const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
	redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
	bot = await startApiBot({
		databaseUrl: (url) => pg.rewrite(url),
		env: { REDIS_URL: `redis://127.0.0.1:${redis.port}`, API_RATE_LIMIT_MAX: '100000' }
	});
	seed = bot.emulator.seed;
	grace = (await login(bot, 'grace')).browser;
	bot.handle.client.rest.on('response', (request, response) => {
		if (/\/(interactions|webhooks)\//.test(request.path) && response.status >= 400)
			refusedCallbacks.push(`${request.method} ${response.status}`);
	});
}, 60_000);

afterAll(async () => {
	pg?.resume();
	redis?.resume();
	await bot?.stop();
	await pg?.close();
	await redis?.close();
});

interface Leaf {
	command: string;
	options: Record<string, unknown>;
}

/** A value for each option type that passes Discord's own checks (the command may still refuse it). */
function optionValue(path: string, option: APIApplicationCommandOption): unknown {
	const overrides: Record<string, unknown> = {
		'config set timezone.timezone': 'Europe/Paris',
		'plugins enable.plugin': 'mileage',
		'plugins disable.plugin': 'mileage'
	};
	if (`${path}.${option.name}` in overrides) return overrides[`${path}.${option.name}`];
	const o = option as { type: number; choices?: { value: unknown }[]; min_value?: number; min_length?: number; max_length?: number };
	if (o.choices?.length) return o.choices[0]!.value;
	switch (o.type) {
		case 3:
			// Within the option's own length limits (Discord refuses anything outside them before the bot sees it).
			return 'outage'.padEnd(o.min_length ?? 1, 'x').slice(0, o.max_length ?? 6_000);
		case 4:
		case 10:
			return o.min_value ?? 1;
		case 5:
			return true;
		case 6:
		case 9:
			return seed.users.ada;
		case 7:
			return seed.channels.general;
		case 8:
			return seed.roles.member;
		default:
			return undefined;
	}
}

/** Every runnable leaf (command, subcommand, group + subcommand) the guild sees, with its required options filled in. */
async function commandLeaves(): Promise<Leaf[]> {
	const response = await fetch(`${bot.emulator.baseUrl}/_emulator/guilds/${seed.guildId}/commands`);
	const commands = (await response.json()) as { name: string; options?: APIApplicationCommandOption[] }[];
	const leaves: Leaf[] = [];
	const walk = (path: string, options: APIApplicationCommandOption[] | undefined) => {
		const nested = (options ?? []).filter((option) => option.type === 1 || option.type === 2);
		if (nested.length) {
			for (const option of nested) walk(`${path} ${option.name}`, (option as { options?: APIApplicationCommandOption[] }).options);
			return;
		}
		const values: Record<string, unknown> = {};
		for (const option of options ?? []) {
			if (!(option as { required?: boolean }).required) continue;
			values[option.name] = optionValue(path, option);
		}
		leaves.push({ command: path, options: values });
	};
	for (const command of commands) walk(command.name, command.options);
	return leaves;
}

async function runTimed(leaf: Leaf) {
	const started = performance.now();
	const result = await interact(bot.emulator, { user: seed.users.grace, command: leaf.command, options: leaf.options });
	const text = [result.body.content ?? '', ...(result.body.embeds ?? []).map((e) => `${e.title ?? ''} ${e.description ?? ''}`)].join(' ');
	return { ...leaf, ms: Math.round(performance.now() - started), status: result.status, text, error: result.body.error };
}

/** Every API route with its parameters filled in, and a body for writes that passes the route's shape checks. */
function apiRequests(): { method: string; path: string; body?: unknown }[] {
	const params: Record<string, string> = {
		guild: seed.guildId,
		plugin: 'config',
		entry: '1',
		event: '1',
		user: seed.users.ada,
		tier: '1',
		job: 'no-such-job',
		guildId: seed.guildId
	};
	const bodies: Record<string, unknown> = {
		'PATCH guilds/[guild]/plugins/[plugin]/settings': { timezone: 'Asia/Tokyo' },
		'PUT guilds/[guild]/plugins/[plugin]': { enabled: true },
		'POST mileage/guilds/[guild]/members/[user]/adjust': { points: 5, reason: 'outage' },
		'POST mileage/guilds/[guild]/events/[event]/reverse': { reason: 'outage' },
		'POST mileage/guilds/[guild]/import': { csv: `user_id,points,note\n${seed.users.ada},3,outage\n` },
		'POST mileage/guilds/[guild]/tiers': { name: 'Outage', threshold: 100, roleId: seed.roles.member }
	};
	const requests: { method: string; path: string; body?: unknown }[] = [];
	for (const route of container.server.routes.values()) {
		const path = route.path.map((part) => (part.startsWith('[') ? params[part.slice(1, -1)]! : part)).join('/');
		for (const method of route.methods) {
			if (method === 'OPTIONS' || method === 'HEAD') continue;
			const key = `${method} ${route.path.join('/')}`;
			requests.push({
				method,
				path,
				...(key in bodies ? { body: bodies[key] } : method === 'GET' || method === 'DELETE' ? {} : { body: {} })
			});
		}
	}
	return requests;
}

async function hitTimed(request: { method: string; path: string; body?: unknown }) {
	const started = performance.now();
	// The OAuth routes run without grace's session: her logout would end it for the rest of the file.
	const browser = request.path.startsWith('oauth/') ? new Browser(bot.base) : grace;
	try {
		const response = await browser.fetch(`${bot.base}/${request.path}`, {
			method: request.method,
			headers: { origin: DASHBOARD_ORIGIN, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
			...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
			signal: AbortSignal.timeout(10_000)
		});
		await response.arrayBuffer();
		return { route: `${request.method} /${request.path}`, ms: Math.round(performance.now() - started), status: response.status };
	} catch (error) {
		return { route: `${request.method} /${request.path}`, ms: Math.round(performance.now() - started), status: 0, error: String(error) };
	}
}

describe('while PostgreSQL is paused', () => {
	it('GIVEN the database paused THEN every command is answered within 3 s, database commands with "the database is unreachable", and no interaction expires', async () => {
		const leaves = await commandLeaves();
		expect(leaves.length).toBeGreaterThan(10);
		const healthy = await runTimed({ command: 'ping', options: {} });
		expect(healthy.text).toMatch(/Database: \d+\.\d ms/);

		pg.pause();
		const results = await Promise.all(leaves.map(runTimed));
		const report = results.map((r) => `${r.ms} ms  /${r.command}: ${r.error ?? r.text.slice(0, 80)}`).join('\n');
		console.info(`commands while the database is paused:\n${report}`);
		for (const result of results) {
			expect(result.status, `/${result.command}: ${result.error}`).toBe(200);
			expect(result.ms, `/${result.command}`).toBeLessThanOrEqual(COMMAND_BOUND_MS);
		}
		const ping = results.find((r) => r.command === 'ping')!;
		expect(ping.text).toMatch(/Database: unreachable/);
		// Commands that need the database say so (and nothing went wrong as a bug).
		const unreachable = results.filter((r) => r.text.includes('The database is unreachable'));
		expect(unreachable.length).toBeGreaterThan(5);
		expect(results.filter((r) => r.text.includes('Something went wrong'))).toEqual([]);
		expect(refusedCallbacks).toEqual([]);
		// The code on its own, not inside a snowflake (an interaction id such as 1577731103010062336 holds "10062").
		expect(bot.logs.filter((line) => /(?<!\d)10062(?!\d)/.test(line) || line.includes('Unknown interaction'))).toEqual([]);
	}, 60_000);

	it('GIVEN the database paused THEN every API route answers within 2 s, 503 where it needs the database', async () => {
		if (!pg.isPaused) pg.pause();
		const results = await Promise.all(apiRequests().map(hitTimed));
		console.info(`API routes while the database is paused:\n${results.map((r) => `${r.ms} ms  ${r.status}  ${r.route}`).join('\n')}`);
		for (const result of results) {
			expect(result.status, `${result.route} ${result.error ?? ''}`).not.toBe(0);
			expect(result.ms, result.route).toBeLessThanOrEqual(ROUTE_BOUND_MS);
			expect(result.status === 503 || result.status < 500, `${result.route} answered ${result.status}`).toBe(true);
		}
		expect(results.filter((r) => r.status === 503).length).toBeGreaterThan(3);
	}, 60_000);

	it('GIVEN the database back THEN commands and routes work again', async () => {
		pg.resume();
		const ping = await waitUntil(
			() => runTimed({ command: 'ping', options: {} }),
			(r) => /Database: \d+\.\d ms/.test(r.text),
			15_000
		);
		expect(ping.text).toMatch(/Database: \d+\.\d ms/);
		const history = await runTimed({ command: 'config history', options: {} });
		expect(history.text).not.toContain('unreachable');
		expect((await hitTimed({ method: 'GET', path: `guilds/${seed.guildId}/audit` })).status).toBe(200);
	}, 30_000);
});

describe('while Redis is paused', () => {
	it('GIVEN Redis paused THEN every API route answers within 2 s', async () => {
		redis.pause();
		try {
			const results = await Promise.all(apiRequests().map(hitTimed));
			console.info(`API routes while Redis is paused:\n${results.map((r) => `${r.ms} ms  ${r.status}  ${r.route}`).join('\n')}`);
			for (const result of results) {
				expect(result.status, `${result.route} ${result.error ?? ''}`).not.toBe(0);
				expect(result.ms, result.route).toBeLessThanOrEqual(ROUTE_BOUND_MS);
				expect(result.status === 503 || result.status < 500, `${result.route} answered ${result.status}`).toBe(true);
			}
		} finally {
			redis.resume();
		}
	}, 60_000);
});
