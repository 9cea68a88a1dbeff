import { container } from '@sapphire/framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugin } from '../../../src/plugins/config/index.ts';
import type { LeaderboardAnswer, PublicLeaderboardAnswer } from '../../../src/plugins/mileage/contract.ts';
import { mileagePlugin } from '../../../src/plugins/mileage/index.ts';
import { type ApiBot, type Browser, DASHBOARD_ORIGIN, login, startApiBot } from '../../api/helpers.ts';
import { query } from '../../helpers/postgres.ts';
import { controlRequest, interact, waitUntil } from '../../helpers/sandbox.ts';

// The public leaderboard (no login) and `/mileage privacy`, end to end: grace manages the sandbox guild through
// the API, members run the command through the emulator, and nobody is logged in when the public route is read.

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];
let grace: Browser;
let guildId: string;

const publicBoard = (id = guildId, search = '') => fetch(`${bot.base}/mileage/public/${id}/leaderboard${search}`);
const publicEntries = async () => ((await (await publicBoard()).json()) as PublicLeaderboardAnswer).entries;

async function patchSettings(settings: Record<string, unknown>) {
	const response = await grace.fetch(`${bot.base}/guilds/${guildId}/plugins/mileage/settings`, {
		method: 'PATCH',
		headers: { origin: DASHBOARD_ORIGIN, 'content-type': 'application/json' },
		body: JSON.stringify(settings)
	});
	expect(response.status).toBe(200);
}

async function switchMileage(enabled: boolean) {
	const response = await grace.fetch(`${bot.base}/guilds/${guildId}/plugins/mileage`, {
		method: 'PUT',
		headers: { origin: DASHBOARD_ORIGIN, 'content-type': 'application/json' },
		body: JSON.stringify({ enabled })
	});
	expect(response.status).toBe(200);
}

const privacy = (user: string, leaderboard?: 'hide' | 'show') =>
	interact(bot.emulator, { user, command: 'mileage privacy', ...(leaderboard ? { options: { leaderboard } } : {}) });

const commandNames = async () =>
	((await controlRequest(bot.emulator, 'GET', `/_emulator/guilds/${guildId}/commands`)).body as unknown as { name: string }[]).map(
		(c) => c.name
	);

const hiddenRows = async () =>
	(await query<{ user_id: string }>(bot.db.url, 'select user_id from mileage_privacy where guild_id = $1 order by user_id', [guildId])).map(
		(row) => row.user_id
	);

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin, mileagePlugin], env: { API_RATE_LIMIT_MAX: '100000' } });
	seed = bot.emulator.seed;
	guildId = seed.guildId;
	grace = (await login(bot, 'grace')).browser;
	await container.mileage.adjust(guildId, seed.users.ada, 120, 'seed', seed.users.grace);
	await container.mileage.adjust(guildId, seed.users.alan, 50, 'seed', seed.users.grace);
	await container.mileage.adjust(guildId, seed.users.linus, 30, 'seed', seed.users.grace);
	await container.mileage.adjust(guildId, seed.users.margaret, 30, 'seed', seed.users.grace);
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

describe('the public leaderboard', () => {
	it('GIVEN the default settings THEN it answers 404 exactly like a guild that does not exist or a path with no route', async () => {
		expect(container.plugins.settings<{ publicLeaderboard: boolean }>(guildId, 'mileage').publicLeaderboard).toBe(false);
		const off = await publicBoard();
		const unknown = await publicBoard('123456789012345678');
		const malformed = await publicBoard('not-a-guild');
		const noRoute = await fetch(`${bot.base}/mileage/public/${guildId}/nothing-here`);
		const answers = await Promise.all([off, unknown, malformed, noRoute].map(async (r) => [r.status, await r.text()]));
		expect(answers).toEqual([
			[404, '{"error":"not_found"}'],
			[404, '{"error":"not_found"}'],
			[404, '{"error":"not_found"}'],
			[404, '{"error":"not_found"}']
		]);
	});

	it('GIVEN the setting turned on by a manager THEN it is audited and anyone reads ranks, names and avatars — and nothing else', async () => {
		await patchSettings({ publicLeaderboard: true });
		const [audit] = await query<{ key: string; before: unknown; after: unknown; actor_id: string }>(
			bot.db.url,
			`select key, before, after, actor_id from core_audit_entry where guild_id = $1 and plugin = 'mileage' order by id desc limit 1`,
			[guildId]
		);
		// The audit stores an unset key as null and a value wrapped (as every settings write does).
		expect(audit).toMatchObject({ key: 'publicLeaderboard', before: null, after: { value: true }, actor_id: seed.users.grace });

		// No cookie at all.
		const response = await publicBoard();
		expect(response.status).toBe(200);
		expect(response.headers.get('ratelimit-limit')).toBe('100000');
		const text = await response.text();
		const body = JSON.parse(text);
		expect(body).toEqual({
			guild: { name: 'Facet Sandbox', iconUrl: null },
			page: 1,
			hasNext: false,
			entries: [
				{ rank: 1, name: 'Ada', avatarUrl: null },
				{ rank: 2, name: 'Alan', avatarUrl: null },
				{ rank: 3, name: 'Linus', avatarUrl: null },
				{ rank: 3, name: 'Margaret', avatarUrl: null }
			]
		});
		// Exactly the allowed fields, at every level; no ids, no points anywhere in the body.
		expect(Object.keys(body).sort()).toEqual(['entries', 'guild', 'hasNext', 'page']);
		expect(Object.keys(body.guild).sort()).toEqual(['iconUrl', 'name']);
		for (const entry of body.entries) expect(Object.keys(entry).sort()).toEqual(['avatarUrl', 'name', 'rank']);
		for (const secret of [guildId, ...Object.values(seed.users), '120', '"points"']) expect(text).not.toContain(secret);
	});

	it('GIVEN a bad page THEN 400 with the field; a page past the end is empty', async () => {
		const bad = await publicBoard(guildId, '?page=0');
		expect([bad.status, ((await bad.json()) as { fields: unknown }).fields]).toEqual([400, { page: [expect.any(String)] }]);
		const past = await publicBoard(guildId, '?page=9');
		expect(await past.json()).toMatchObject({ page: 9, hasNext: false, entries: [] });
	});

	it('GIVEN mileage switched off in the guild THEN the public page is 404 again, and back when it is on', async () => {
		await switchMileage(false);
		expect([(await publicBoard()).status]).toEqual([404]);
		// The switch syncs the guild's commands; the next tests run /mileage, so wait for it to go and come back.
		await waitUntil(commandNames, (names) => !names.includes('mileage'), 30_000);
		await switchMileage(true);
		expect((await publicBoard()).status).toBe(200);
		await waitUntil(commandNames, (names) => names.includes('mileage'), 30_000);
	});
});

describe('/mileage privacy', () => {
	it('GIVEN a member who hides themselves THEN they vanish from the public page only, and everyone keeps their true rank', async () => {
		const hidden = await privacy(seed.users.alan, 'hide');
		expect(hidden.status).toBe(200);
		expect(hidden.body.ephemeral).toBe(true);
		expect(hidden.body.content).toMatch(/^Done: you are now hidden from this server's public leaderboard/);
		expect(await hiddenRows()).toEqual([seed.users.alan]);

		expect(await publicEntries()).toEqual([
			{ rank: 1, name: 'Ada', avatarUrl: null },
			{ rank: 3, name: 'Linus', avatarUrl: null },
			{ rank: 3, name: 'Margaret', avatarUrl: null }
		]);
		// Managers still see them, with their points and rank.
		const managers = (await (await grace.fetch(`${bot.base}/mileage/guilds/${guildId}/leaderboard`)).json()) as LeaderboardAnswer;
		expect(managers.entries.map((e) => [e.userId, e.rank])).toContainEqual([seed.users.alan, 2]);

		// Asking again changes nothing and says where they stand.
		const again = await privacy(seed.users.alan, 'hide');
		expect(again.body.content).toMatch(/^Done: you are now hidden/);
		const asked = await privacy(seed.users.alan);
		expect([asked.body.ephemeral, asked.body.content?.startsWith('You are hidden')]).toEqual([true, true]);
		expect(await hiddenRows()).toEqual([seed.users.alan]);
	});

	it('GIVEN the member shows themselves again THEN they are back at their rank; the reply says when the page is off', async () => {
		const shown = await privacy(seed.users.alan, 'show');
		expect([shown.body.ephemeral, shown.body.content?.startsWith('Done: you are now shown')]).toEqual([true, true]);
		expect(await hiddenRows()).toEqual([]);
		expect((await publicEntries()).map((e) => `${e.rank} ${e.name}`)).toEqual(['1 Ada', '2 Alan', '3 Linus', '3 Margaret']);
		expect(shown.body.content).not.toContain('is off in this server');

		await patchSettings({ publicLeaderboard: false });
		const whileOff = await privacy(seed.users.linus, 'hide');
		expect(whileOff.body.content).toContain('The public leaderboard is off in this server right now');
		expect(await hiddenRows()).toEqual([seed.users.linus]);
		expect((await publicBoard()).status).toBe(404);
	});
});
