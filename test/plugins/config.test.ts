import { container } from '@sapphire/framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryView as AuditEntry } from '../../src/core/api/contract.ts';
import { configPlugin } from '../../src/plugins/config/index.ts';
import { renderWelcome } from '../../src/plugins/config/lib/settings.ts';
import { type ApiBot, type Browser, login, startApiBot } from '../api/helpers.ts';
import { controlRequest, withCommandOpenToEveryone } from '../helpers/sandbox.ts';

let bot: ApiBot;
let grace: Browser;
let seed: ApiBot['emulator']['seed'];

const control = (path: string, body: unknown) => controlRequest(bot.emulator, 'POST', path, body);
const run = (user: string, command: string, options?: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
	control('/_emulator/interactions', {
		guild_id: seed.guildId,
		channel_id: seed.channels.general,
		user_id: user,
		command,
		options,
		...extra
	});

const audit = async () =>
	((await (await grace.fetch(`${bot.base}/guilds/${seed.guildId}/audit?limit=100`)).json()) as { entries: AuditEntry[] }).entries;
const settings = async () =>
	(
		(await (await grace.fetch(`${bot.base}/guilds/${seed.guildId}/plugins/config/settings`)).json()) as {
			settings: Record<string, unknown>;
		}
	).settings;
const patch = (body: unknown) =>
	grace.fetch(`${bot.base}/guilds/${seed.guildId}/plugins/config/settings`, {
		method: 'PATCH',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin] });
	seed = bot.emulator.seed;
	grace = (await login(bot, 'grace')).browser;
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

describe('/config and the audit log', () => {
	it('GIVEN changes by command and by API THEN each is audited with actor, source, before and after', async () => {
		const set = await run(seed.users.grace, 'config set timezone', { timezone: 'Asia/Tokyo' });
		expect(set.body.content).toContain('Asia/Tokyo');
		expect((await patch({ timezone: 'Europe/Paris', welcomeMessage: 'Hi {user}, this is {server}' })).status).toBe(200);

		const entries = await audit();
		const [message, paris, tokyo] = [
			entries.find((e) => e.key === 'welcomeMessage')!,
			entries.find((e) => e.key === 'timezone' && (e.after?.value as string) === 'Europe/Paris')!,
			entries.find((e) => e.key === 'timezone' && (e.after?.value as string) === 'Asia/Tokyo')!
		];
		expect(tokyo).toMatchObject({
			actorId: seed.users.grace,
			source: 'command',
			plugin: 'config',
			before: null,
			after: { value: 'Asia/Tokyo' }
		});
		expect(paris).toMatchObject({
			actorId: seed.users.grace,
			source: 'api',
			before: { value: 'Asia/Tokyo' },
			after: { value: 'Europe/Paris' }
		});
		expect(message).toMatchObject({ source: 'api', before: null, after: { value: 'Hi {user}, this is {server}' } });

		const history = await run(seed.users.grace, 'config history');
		expect(history.body.content).toContain(`#${paris.id}`);
		expect(history.body.content).toContain('Europe/Paris');
	});

	it('GIVEN a revert by API and by command THEN the exact earlier value is back and the revert is audited', async () => {
		const entries = await audit();
		const paris = entries.find((e) => e.key === 'timezone' && (e.after?.value as string) === 'Europe/Paris')!;
		const reverted = await grace.fetch(`${bot.base}/guilds/${seed.guildId}/audit/${paris.id}/revert`, { method: 'POST' });
		expect(reverted.status).toBe(200);
		expect((await settings()).timezone).toBe('Asia/Tokyo');
		const revertEntry = (await audit()).find((e) => e.revertOf === paris.id)!;
		expect(revertEntry).toMatchObject({
			source: 'revert',
			key: 'timezone',
			before: { value: 'Europe/Paris' },
			after: { value: 'Asia/Tokyo' }
		});

		// Reverting the first change (from "unset") unsets the key: the default applies again.
		const tokyo = (await audit()).find((e) => e.key === 'timezone' && e.before === null)!;
		const byCommand = await run(seed.users.grace, 'config revert', { entry: Number(tokyo.id) });
		expect(byCommand.body.content).toContain(`Reverted #${tokyo.id}`);
		expect((await settings()).timezone).toBe('UTC');
		expect(await container.plugins.audit(seed.guildId, { limit: 1 })).toMatchObject([{ revertOf: Number(tokyo.id), after: null }]);
	});

	it('GIVEN bad values THEN nothing is written and the error names the field', async () => {
		const before = (await audit()).length;
		const bad = await patch({ timezone: 'Mars/Olympus_Mons', dashboardRoles: ['not-a-snowflake'] });
		expect(bad.status).toBe(400);
		const body = (await bad.json()) as { error: string; fields: Record<string, string[]> };
		expect(body.error).toBe('invalid_body');
		expect(Object.keys(body.fields).sort()).toEqual(['dashboardRoles.0', 'timezone']);
		expect((await patch({ nonsense: 1 })).status).toBe(400);
		const badCommand = await run(seed.users.grace, 'config set timezone', { timezone: 'Not/AZone' });
		expect(badCommand.body.content).toContain('IANA');
		expect((await audit()).length).toBe(before);
	});

	it('GIVEN a member without Manage Server THEN Discord does not offer /config, and Facet refuses it when a server opens it', async () => {
		const set = () => run(seed.users.linus, 'config set timezone', { timezone: 'Europe/Paris' });
		expect((await set()).status).toBe(403);
		const refused = await withCommandOpenToEveryone(bot.emulator, 'config', set);
		expect(refused.body.content).toContain('Manage Server');
		expect((await settings()).timezone).toBe('UTC');
	});

	it('GIVEN a partial time zone THEN autocomplete offers matching IANA zones', async () => {
		const answer = await run(seed.users.grace, 'config set timezone', { timezone: 'Europe/Par' }, { autocomplete: 'timezone' });
		expect(answer.body.choices).toEqual(expect.arrayContaining([{ name: 'Europe/Paris', value: 'Europe/Paris' }]));
	});
});

describe('dashboard roles', () => {
	it('GIVEN a role added to the dashboard roles THEN its members may manage the guild in the API, and not once it is removed', async () => {
		// alan holds the Member role; linus holds none and stays out.
		const alan = (await login(bot, 'alan')).browser;
		const linus = (await login(bot, 'linus')).browser;
		const guildRoute = `${bot.base}/guilds/${seed.guildId}`;
		expect((await alan.fetch(guildRoute)).status).toBe(403);
		const added = await run(seed.users.grace, 'config set dashboard-role-add', { role: seed.roles.member });
		expect(added.body.content).toContain(`<@&${seed.roles.member}>`);
		expect((await alan.fetch(guildRoute)).status).toBe(200);
		expect(await (await alan.fetch(`${bot.base}/guilds`)).text()).toContain(seed.guildId);
		expect((await linus.fetch(guildRoute)).status).toBe(403);
		await run(seed.users.grace, 'config set dashboard-role-remove', { role: seed.roles.member });
		expect((await alan.fetch(guildRoute)).status).toBe(403);
	});
});

describe('welcome message', () => {
	it('GIVEN a welcome channel THEN a joining member is greeted there with {user} and {server} filled in', async () => {
		await run(seed.users.grace, 'config set welcome-channel', { channel: seed.channels.welcome });
		await patch({ welcomeMessage: 'Welcome {user} to {server}!' });
		const joined = await control('/_emulator/members', { guild_id: seed.guildId, username: 'newcomer' });
		expect(joined.status).toBe(201);
		const userId = ((joined.body.user as { id: string } | undefined)?.id ?? joined.body.user_id) as string;
		const expected = renderWelcome('Welcome {user} to {server}!', { user: `<@${userId}>`, server: 'Facet Sandbox' });
		let messages: { content: string }[] = [];
		for (let i = 0; i < 50 && !messages.some((m) => m.content === expected); i++) {
			await new Promise((resolve) => setTimeout(resolve, 100));
			messages = (await (await fetch(`${bot.emulator.baseUrl}/_emulator/channels/${seed.channels.welcome}/messages`)).json()) as {
				content: string;
			}[];
		}
		expect(messages.map((m) => m.content)).toContain(expected);
	});
});
