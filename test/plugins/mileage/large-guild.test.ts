import { container } from '@sapphire/framework';
import { PermissionFlagsBits as P } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugin } from '../../../src/plugins/config/index.ts';
import { mileagePlugin } from '../../../src/plugins/mileage/index.ts';
import { formatImportCsv } from '../../../src/plugins/mileage/lib/csv.ts';
import { type ApiBot, DASHBOARD_ORIGIN, login, startApiBot } from '../../api/helpers.ts';
import { query } from '../../helpers/postgres.ts';
import { controlRequest, recordOriginalEdits, waitUntil } from '../../helpers/sandbox.ts';

// A guild of 100,000 members end to end: Discord sends the bot none of them in GUILD_CREATE, so tier sync and the
// reaction listener must work for members the bot has never cached, and stay within Discord's gateway and REST limits.

const MEMBERS = 100_000;
/**
 * Ledger members: the first REACHED reach the tier, the others stay below it. Discord lets a bot change member roles
 * 10 times per 10 s per guild (the emulator's bucket), so REACHED grants take about REACHED seconds: kept small.
 */
const LEDGER = 250;
const REACHED = 30;
/** Discord's limits: 120 gateway sends per 60 s per connection, 50 REST requests per second. */
const GATEWAY_SENDS_PER_MINUTE = 120;
const REST_PER_SECOND = 50;

let bot: ApiBot;
let guildId: string;
let channelId: string;
let owner: string;
let edits: string[];
let ledger: string[];
let regular: string;
let muted: string;

const control = (method: string, path: string, body?: unknown) => controlRequest(bot.emulator, method, path, body);
const run = (command: string, options?: Record<string, unknown>) =>
	control('POST', '/_emulator/interactions', { guild_id: guildId, channel_id: channelId, user_id: owner, command, options });
const cached = () => bot.handle.client.guilds.cache.get(guildId)!;
const finalEdit = (pattern: RegExp) =>
	waitUntil(
		() => edits.find((content) => pattern.test(content)),
		(found) => found !== undefined,
		90_000
	);
/** Roles of the first 1,000 members, as the emulator holds them (the ledger members are among them). */
async function rolesInEmulator(): Promise<Map<string, string[]>> {
	const state = (await control('GET', '/_emulator/state')).body as unknown as {
		guilds: Array<{ id: string; members: Array<{ user_id: string; roles: string[] }> }>;
	};
	return new Map(state.guilds.find((g) => g.id === guildId)!.members.map((m) => [m.user_id, m.roles]));
}
const traffic = async () =>
	(
		(await control('GET', '/_emulator/state')).body as unknown as {
			traffic: {
				rest_requests: number;
				rest_peak_per_second: number;
				gateway_sends_by_op: Record<string, number>;
				gateway_peak_per_minute: number;
			};
		}
	).traffic;

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin, mileagePlugin], env: { MILEAGE_FLUSH_INTERVAL_MS: '200' } });
	edits = recordOriginalEdits(bot.handle.client);
	owner = bot.emulator.seed.users.ada;
	const created = await control('POST', '/_emulator/guilds', {
		name: 'Huge Community',
		owner_id: owner,
		members: MEMBERS,
		member_prefix: 'fan',
		bot_permissions: String(P.ViewChannel | P.SendMessages | P.EmbedLinks | P.ManageRoles | P.ReadMessageHistory)
	});
	expect(created.status, JSON.stringify(created.body)).toBe(201);
	guildId = created.body.id as string;
	await waitUntil(
		() => bot.handle.client.guilds.cache.get(guildId)?.available,
		(ok) => ok === true,
		20_000
	);
	// Commands are registered per guild; the bot does that on its own after GUILD_CREATE.
	await waitUntil(
		async () => (await control('GET', `/_emulator/guilds/${guildId}/commands`)).body as unknown as Array<{ name: string }>,
		(commands) => Array.isArray(commands) && commands.some((c) => c.name === 'mileage-admin'),
		20_000
	);
	const state = (await control('GET', '/_emulator/state')).body as unknown as {
		guilds: Array<{ id: string; channels: Array<{ id: string }>; members: Array<{ user_id: string }> }>;
	};
	const huge = state.guilds.find((g) => g.id === guildId)!;
	channelId = huge.channels[0]!.id;
	ledger = huge.members
		.map((m) => m.user_id)
		.filter((id) => id !== owner && id !== bot.emulator.botUserId)
		.slice(100, 100 + LEDGER);
	// Above the bot's role at first: the tier cannot be granted until it is moved below (see the sync test).
	regular = (await control('POST', '/_emulator/roles', { guild_id: guildId, name: 'Regular', position: 2 })).body.id as string;
	muted = (await control('POST', '/_emulator/roles', { guild_id: guildId, name: 'Muted', position: 1 })).body.id as string;
	await waitUntil(
		() => cached().roles.cache.has(regular) && cached().roles.cache.has(muted),
		(ok) => ok,
		10_000
	);
}, 120_000);

afterAll(async () => {
	await bot?.stop();
});

describe('a guild of 100,000 members', () => {
	it('GIVEN GUILD_CREATE THEN the bot knows the member count but has cached only itself', () => {
		expect(cached().large).toBe(true);
		expect(cached().memberCount).toBe(MEMBERS + 2);
		expect([...cached().members.cache.keys()]).toEqual([bot.emulator.botUserId]);
	});

	it('GIVEN ledger points for members never cached THEN /mileage-admin tiers sync grants the tier role to exactly those who reached it, within the gateway and REST limits', async () => {
		// Points written while the bot ran elsewhere: events and totals straight into the ledger, then rebuilt.
		const values = ledger.map((id, i) => `('${guildId}', '${id}', ${i < REACHED ? 50 : 5}, 'import')`).join(', ');
		await query(bot.db.url, `insert into mileage_event (guild_id, user_id, delta, reason) values ${values}`);
		edits.length = 0;
		await run('mileage-admin rebuild');
		await finalEdit(/^Rebuilt/);
		edits.length = 0;
		await run('mileage-admin tiers add', { name: 'Regular', threshold: 10, role: regular });
		expect(await finalEdit(/^Tier #\d+ \*\*Regular\*\*/)).toMatch(/cannot be assigned/);
		expect([...(await rolesInEmulator()).values()].some((roles) => roles.includes(regular))).toBe(false);

		await control('PATCH', `/_emulator/roles/${regular}`, { guild_id: guildId, position: 1 });
		await waitUntil(
			() => (cached().members.me?.roles.highest.comparePositionTo(regular) ?? 0) > 0,
			(ok) => ok,
			10_000
		);
		for (const id of ledger) cached().members.cache.delete(id); // the add's sync fetched them: start uncached again
		expect(ledger.some((id) => cached().members.cache.has(id))).toBe(false);
		await control('DELETE', '/_emulator/traffic');
		edits.length = 0;
		const started = Date.now();
		await run('mileage-admin tiers sync');
		expect(await finalEdit(/^Checked/)).toMatch(new RegExp(`^Checked ${LEDGER} members: ${REACHED} had their roles changed`));
		const seconds = (Date.now() - started) / 1000;

		const roles = await rolesInEmulator();
		expect(ledger.filter((id) => roles.get(id)?.includes(regular))).toEqual(ledger.slice(0, REACHED));
		const counts = await traffic();
		// One REQUEST_GUILD_MEMBERS per 100 ledger members, no REST call per member beyond the role grants.
		expect(counts.gateway_sends_by_op['8']).toBe(Math.ceil(LEDGER / 100));
		expect(counts.gateway_peak_per_minute).toBeLessThanOrEqual(GATEWAY_SENDS_PER_MINUTE);
		expect(counts.rest_peak_per_second).toBeLessThanOrEqual(REST_PER_SECOND);
		expect(bot.emulator.stats.restByRoute['GET /guilds/{guild_id}/members/{user_id}'] ?? 0).toBe(0);
		console.log(`tier sync of ${LEDGER} uncached members in a 100k guild: ${seconds.toFixed(1)} s`, JSON.stringify(counts));
	}, 120_000);

	it('GIVEN a CSV import of uncached members and strangers THEN the dry run counts only the strangers as unknown, asking Discord by id', async () => {
		const browser = (await login(bot, 'ada')).browser;
		const fans = ledger.slice(0, 120);
		for (const id of fans) cached().members.cache.delete(id);
		const strangers = ['100000000000000001', '100000000000000002', '100000000000000003'];
		const csv = formatImportCsv([...fans, ...strangers].map((userId) => ({ userId, points: 3, note: null })));
		await control('DELETE', '/_emulator/traffic');
		// Counted from here. The one read allowed is of the caller herself: the access check re-reads a manager whose
		// copy Discord has not confirmed within API_ACCESS_RECHECK_SECONDS. Per-member lookups would be 123.
		const memberReads = () => bot.emulator.stats.restByRoute['GET /guilds/{guild_id}/members/{user_id}'] ?? 0;
		const readsBefore = memberReads();
		const response = await browser.fetch(`${bot.base}/mileage/guilds/${guildId}/import?dryRun=1`, {
			method: 'POST',
			headers: { origin: DASHBOARD_ORIGIN, 'content-type': 'text/csv' },
			body: csv
		});
		const answer = (await response.json()) as { preview: { members: number; unknownMembers: number } };
		expect(response.status, JSON.stringify(answer)).toBe(200);
		expect(answer.preview).toMatchObject({ members: 123, unknownMembers: 3 });
		const counts = await traffic();
		expect(counts.gateway_sends_by_op['8']).toBe(2); // 123 ids: two requests of at most 100
		expect(memberReads() - readsBefore).toBeLessThanOrEqual(1);
	}, 30_000);

	it('GIVEN the leaderboard of uncached members THEN the dashboard still shows their names (one op 8 for the page)', async () => {
		const browser = (await login(bot, 'ada')).browser;
		for (const id of ledger) cached().members.cache.delete(id);
		await control('DELETE', '/_emulator/traffic');
		const response = await browser.fetch(`${bot.base}/mileage/guilds/${guildId}/leaderboard?pageSize=50`, {
			headers: { origin: DASHBOARD_ORIGIN }
		});
		const board = (await response.json()) as { entries: Array<{ userId: string; name: string | null }> };
		expect(response.status).toBe(200);
		expect(board.entries).toHaveLength(50);
		expect(board.entries.every((e) => e.name?.startsWith('fan'))).toBe(true);
		expect((await traffic()).gateway_sends_by_op['8']).toBe(1);
	}, 30_000);

	it('GIVEN an uncached member holding an ignored role THEN their reaction earns nothing, while another member’s does', async () => {
		await container.plugins.updateSettings(guildId, 'mileage', { ignoredRoles: [muted] }, { id: owner, source: 'system' });
		const [quiet, loud] = [ledger[LEDGER - 1]!, ledger[LEDGER - 2]!];
		await control('PATCH', `/_emulator/guilds/${guildId}/members/${quiet}`, { roles: [muted] });
		await waitUntil(
			() => cached().members.cache.get(quiet)?.roles.cache.has(muted),
			(ok) => ok === true,
			10_000
		);
		cached().members.cache.delete(quiet);
		cached().members.cache.delete(loud);
		const message = await control('POST', '/_emulator/messages', {
			guild_id: guildId,
			channel_id: channelId,
			user_id: owner,
			content: 'react!'
		});
		const points = async (user: string) =>
			Number(
				(
					await query<{ points: string }>(bot.db.url, 'select points from mileage_total where guild_id = $1 and user_id = $2', [
						guildId,
						user
					])
				)[0]?.points ?? 0
			);
		const [quietBefore, loudBefore] = [await points(quiet), await points(loud)];
		for (const user of [quiet, loud]) {
			const res = await control('POST', '/_emulator/reactions', {
				guild_id: guildId,
				channel_id: channelId,
				message_id: message.body.id,
				user_id: user,
				emoji: '👍'
			});
			expect(res.status).toBe(200);
		}
		await waitUntil(
			() => points(loud),
			(p) => p > loudBefore,
			10_000
		);
		expect(await points(loud)).toBe(loudBefore + 1);
		expect(await points(quiet)).toBe(quietBefore);
	}, 30_000);
});
