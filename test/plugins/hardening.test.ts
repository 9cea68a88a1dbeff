import { container } from '@sapphire/framework';
import { Route } from '@sapphire/plugin-api';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSafely } from '../../src/core/api/index.ts';
import { configPlugin } from '../../src/plugins/config/index.ts';
import { mileagePlugin } from '../../src/plugins/mileage/index.ts';
import { SANDBOX_APPLICATION_ID, SANDBOX_SEED } from '../../src/sandbox/index.ts';
import { type ApiBot, type Browser, login, startApiBot } from '../api/helpers.ts';
import { tableHashes } from '../helpers/postgres.ts';
import { controlRequest, interact, recordOriginalEdits, waitUntil } from '../helpers/sandbox.ts';

/*
 * Issue 8, items 4, 5, 7 and 8 end to end: command options through the emulator and API bodies get the same checks
 * (NUL and control characters, length, numbers), error replies always arrive, dangerous grants need a confirmation,
 * and channel/role ids must name the right thing in the guild. Every refusal leaves the database as it was.
 */

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];
let grace: Browser;
let edits: string[] = [];

const control = (path: string, body: unknown) => controlRequest(bot.emulator, 'POST', path, body);
const run = (command: string, options?: Record<string, unknown>) => interact(bot.emulator, { user: seed.users.grace, command, options });
const api = async (method: string, path: string, body?: unknown) => {
	const response = await grace.fetch(`${bot.base}${path}`, {
		method,
		...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
	});
	return {
		status: response.status,
		body: (await response.json()) as { error?: string; fields?: Record<string, string[]> } & Record<string, unknown>
	};
};
const patchSettings = (plugin: string, body: unknown) => api('PATCH', `/guilds/${seed.guildId}/plugins/${plugin}/settings`, body);

/** Creates a role with these permissions through the control API and waits until the bot has it cached. */
async function createRole(name: string, permissions: bigint): Promise<string> {
	const created = await control('/_emulator/roles', { guild_id: seed.guildId, name, permissions: String(permissions) });
	expect(created.status, JSON.stringify(created.body)).toBe(201);
	const id = (created.body as unknown as { id: string }).id;
	await waitUntil(
		() => container.client.guilds.cache.get(seed.guildId)?.roles.cache.has(id),
		(cached) => cached === true
	);
	return id;
}

/** Every row the commands and routes here could write: settings, audit, ledger, totals and tiers. */
async function written(): Promise<unknown> {
	await container.mileage.flush(true);
	const tables = ['core_plugin_state', 'core_audit_entry', 'mileage_event', 'mileage_total', 'mileage_tier'];
	return tableHashes(bot.db.url, tables);
}

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin, mileagePlugin] });
	seed = bot.emulator.seed;
	grace = (await login(bot, 'grace')).browser;
	edits = recordOriginalEdits(container.client);
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

describe('command options get the same text and number checks as API bodies (item 4)', () => {
	it.each([
		['config set welcome-message', { message: 'Hello\u0000there' }, 'message'],
		['config set timezone', { timezone: 'Europe/Paris\u0000' }, 'timezone'],
		['mileage-admin adjust', { user: SANDBOX_SEED.users.ada, points: 5, reason: 'thanks\u0000' }, 'reason'],
		['mileage-admin adjust', { user: SANDBOX_SEED.users.ada, points: 5, reason: 'bell\u0007' }, 'reason'],
		['mileage-admin tiers add', { name: 'Gold\u0000', threshold: 50, role: SANDBOX_SEED.roles.member }, 'name'],
		['config revert', { entry: 1e300 }, 'entry'],
		['mileage-admin reverse', { event: 2 ** 60, reason: 'nope' }, 'event']
	])('GIVEN /%s with %o THEN a clear ephemeral error names the option and nothing is written', async (command, options, option) => {
		const before = await written();
		const reply = await run(command, options);
		expect(reply.status, JSON.stringify(reply.body)).toBe(200);
		expect(reply.body.ephemeral).toBe(true);
		expect(reply.body.content).toContain('That input cannot be used');
		expect(reply.body.content).toContain(`**${option}**`);
		expect(await written()).toEqual(before);
	});

	it('GIVEN a NUL in a welcome message through the API THEN 400 invalid_body naming the field, nothing written', async () => {
		const before = await written();
		const answer = await patchSettings('config', { welcomeMessage: 'Hi\u0000' });
		expect([answer.status, answer.body.error, Object.keys(answer.body.fields ?? {})]).toEqual([400, 'invalid_body', ['welcomeMessage']]);
		expect(await written()).toEqual(before);
	});
});

describe('text bodies get the same checks (item 4)', () => {
	it('GIVEN a CSV import whose note has a NUL THEN 400 invalid_body before any row is read, nothing written', async () => {
		const before = await written();
		const response = await grace.fetch(`${bot.base}/mileage/guilds/${seed.guildId}/import`, {
			method: 'POST',
			headers: { 'content-type': 'text/csv' },
			body: `user_id,points,note\n${seed.users.ada},3,bad\u0000note\n`
		});
		expect([response.status, ((await response.json()) as { error: string }).error]).toEqual([400, 'invalid_body']);
		expect(await written()).toEqual(before);
	});
});

describe('honest status codes (item 4)', () => {
	it('GIVEN a route with a bug THEN 500 internal_error without the message, logged with the route (not 503)', async () => {
		class BuggyRoute extends Route {
			public constructor(context: Route.LoaderContext, options: Route.Options) {
				super(context, { ...options, name: 'apitestBuggy', route: 'apitest/buggy', methods: ['GET'] });
			}

			public run(_request: Route.Request, response: Route.Response) {
				return runSafely('apitest/buggy', response, () => {
					const settings = undefined as unknown as { prefix: string };
					return settings.prefix;
				});
			}
		}
		await container.stores.loadPiece({ store: 'routes', name: 'apitestBuggy', piece: BuggyRoute });
		const answer = await api('GET', '/apitest/buggy');
		expect([answer.status, answer.body]).toEqual([500, { error: 'internal_error' }]);
		const line = await waitUntil(
			() =>
				bot.logs
					.flatMap((chunk) => chunk.split('\n'))
					.find((entry) => entry.includes('apitest/buggy') && entry.includes('API route failed')),
			(entry) => entry !== undefined
		);
		expect(JSON.parse(line!)).toMatchObject({ route: 'apitest/buggy', err: { type: 'TypeError' } });
	});
});

describe('error replies always arrive (item 5)', () => {
	it('GIVEN /plugins enable with a 6,000-character name THEN the error reply arrives, cut to Discord’s 2,000 characters', async () => {
		const reply = await run('plugins enable', { plugin: 'x'.repeat(6_000) });
		expect(reply.status, JSON.stringify(reply.body)).toBe(200);
		expect(reply.body.content).toMatch(/^There is no plugin named "x+/);
		expect(reply.body.content!.length).toBeLessThanOrEqual(2_000);
		expect(reply.body.content!.endsWith('…')).toBe(true);
	});
});

describe('dangerous grants (item 7)', () => {
	it('GIVEN @everyone as a dashboard role THEN the command and the route refuse it, nothing written', async () => {
		const before = await written();
		const byCommand = await run('config set dashboard-role-add', { role: seed.roles.everyone });
		expect(byCommand.body.content).toContain('cannot be @everyone');
		const byRoute = await patchSettings('config', { dashboardRoles: [seed.guildId] });
		expect([byRoute.status, byRoute.body.error, byRoute.body.fields]).toEqual([
			400,
			'invalid_body',
			{ 'dashboardRoles.0': ['cannot be @everyone'] }
		]);
		expect(await written()).toEqual(before);
		// A real role is still accepted (the positive control).
		expect((await patchSettings('config', { dashboardRoles: [seed.roles.member] })).status).toBe(200);
	});

	it('GIVEN a tier whose role can kick members THEN command and route refuse it without confirm, accept it with, and the list marks it', async () => {
		const moderators = await createRole('Moderators', PermissionFlagsBits.KickMembers | PermissionFlagsBits.ManageMessages);
		const before = await written();
		const refused = await run('mileage-admin tiers add', { name: 'Mods', threshold: 77, role: moderators });
		expect(refused.body.content).toContain('grants Manage Messages, Kick Members');
		expect(refused.body.content).toContain('confirm');
		const route = await api('POST', `/mileage/guilds/${seed.guildId}/tiers`, { name: 'Mods', threshold: 77, roleId: moderators });
		expect([route.status, route.body.error, Object.keys(route.body.fields ?? {})]).toEqual([
			400,
			'mileage_dangerous_tier_role',
			['confirm']
		]);
		expect(await written()).toEqual(before);

		edits.length = 0;
		await run('mileage-admin tiers add', { name: 'Mods', threshold: 77, role: moderators, confirm: true });
		await waitUntil(
			() => edits.find((edit) => edit.startsWith('Tier #')),
			(edit) => edit !== undefined
		);
		const list = await run('mileage-admin tiers list');
		expect(list.body.embeds?.[0]?.description).toMatch(/\*\*Mods\*\*.*\n🛡️ grants moderator permissions: Manage Messages, Kick Members/);
		const tiers = await api('GET', `/mileage/guilds/${seed.guildId}/tiers`);
		expect((tiers.body.tiers as { name: string; dangerousPermissions: string[] }[]).find((t) => t.name === 'Mods')).toMatchObject({
			dangerousPermissions: ['Manage Messages', 'Kick Members']
		});
		// With confirm, the route takes one too.
		const helpers = await createRole('Helpers', PermissionFlagsBits.ManageNicknames);
		const confirmed = await api('POST', `/mileage/guilds/${seed.guildId}/tiers`, {
			name: 'Helpers',
			threshold: 78,
			roleId: helpers,
			confirm: true
		});
		expect([confirmed.status, (confirmed.body.tier as { dangerousPermissions: string[] }).dangerousPermissions]).toEqual([
			201,
			['Manage Nicknames']
		]);
	});
});

describe('channel and role ids name the right thing in the guild (item 8)', () => {
	it('GIVEN a voice channel, an unknown channel or an id past 2^64 THEN the API refuses it like the command would, nothing written', async () => {
		const before = await written();
		for (const [body, field] of [
			[{ welcomeChannel: seed.channels.lounge }, 'welcomeChannel'],
			[{ welcomeChannel: '100000000000000999' }, 'welcomeChannel'],
			[{ dailyChannel: seed.channels.lounge }, 'dailyChannel'],
			[{ dashboardRoles: ['100000000000000999'] }, 'dashboardRoles.0']
		] as const) {
			const answer = await patchSettings('config', body);
			expect([JSON.stringify(body), answer.status, answer.body.error, Object.keys(answer.body.fields ?? {})]).toEqual([
				JSON.stringify(body),
				400,
				'invalid_body',
				[field]
			]);
		}
		for (const [body, field] of [
			[{ ignoredChannels: ['99999999999999999999'] }, 'ignoredChannels.0'],
			[{ ignoredChannels: ['100000000000000999'] }, 'ignoredChannels.0'],
			[{ ignoredRoles: ['100000000000000999'] }, 'ignoredRoles.0']
		] as const) {
			const answer = await patchSettings('mileage', body);
			expect([JSON.stringify(body), answer.status, Object.keys(answer.body.fields ?? {})]).toEqual([JSON.stringify(body), 400, [field]]);
		}
		expect(await written()).toEqual(before);
		// The right kinds are accepted: a text channel for the welcome, any channel (voice too) to ignore.
		expect((await patchSettings('config', { welcomeChannel: seed.channels.welcome })).status).toBe(200);
		expect((await patchSettings('mileage', { ignoredChannels: [seed.channels.lounge] })).status).toBe(200);
	});

	it('GIVEN the bot as the member THEN neither the command nor the route adjusts its points', async () => {
		const before = await written();
		const byCommand = await run('mileage-admin adjust', { user: SANDBOX_APPLICATION_ID, points: 5, reason: 'robots' });
		expect(byCommand.body.content).toContain('is a bot');
		const byRoute = await api('POST', `/mileage/guilds/${seed.guildId}/members/${SANDBOX_APPLICATION_ID}/adjust`, {
			points: 5,
			reason: 'robots'
		});
		expect([byRoute.status, byRoute.body.error]).toEqual([400, 'mileage_bot_member']);
		expect(await written()).toEqual(before);
	});
});
