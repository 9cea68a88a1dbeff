import { container } from '@sapphire/pieces';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApiConfig } from '../../src/core/api/config.ts';
import { EnvError, parseEnv } from '../../src/core/env.ts';
import { configPlugin } from '../../src/plugins/config/index.ts';
import { type ApiBot, login, startApiBot } from './helpers.ts';

// How long a lost right to manage a guild can go unnoticed: never past API_ACCESS_RECHECK_SECONDS (≤ 60 s), even
// when the gateway update that should have told the bot never arrived.

const RECHECK_SECONDS = 2;
let bot: ApiBot;

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin], env: { API_ACCESS_RECHECK_SECONDS: String(RECHECK_SECONDS) } });
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

describe('the access recheck bound', () => {
	it('GIVEN no setting THEN the bound is at most 60 s; past 60 s or below 0.5 s the variable is refused by name', () => {
		const env = parseEnv({});
		expect(env.API_ACCESS_RECHECK_SECONDS).toBeLessThanOrEqual(60);
		expect(resolveApiConfig({ env }).accessRecheckSeconds).toBe(env.API_ACCESS_RECHECK_SECONDS);
		for (const bad of ['61', '0', 'soon']) {
			expect(() => parseEnv({ API_ACCESS_RECHECK_SECONDS: bad })).toThrow(EnvError);
			expect(() => parseEnv({ API_ACCESS_RECHECK_SECONDS: bad })).toThrow(/API_ACCESS_RECHECK_SECONDS/);
		}
	});

	it('GIVEN the bot holds a stale copy of a member (a missed update grants a role) THEN the API re-reads them within the bound', async () => {
		const { guildId, users, roles } = bot.emulator.seed;
		const { browser: linus } = await login(bot, 'linus');
		const status = async () => (await linus.fetch(`${bot.base}/guilds/${guildId}`)).status;
		expect(await status()).toBe(403);
		// What a lost GUILD_MEMBER_UPDATE leaves behind: the bot's cache says Linus has the Admin role; Discord does not.
		const member = container.client.guilds.cache.get(guildId)!.members.cache.get(users.linus)!;
		(member as unknown as { _roles: string[] })._roles.push(roles.admin);
		expect(member.roles.cache.has(roles.admin)).toBe(true);
		const tampered = Date.now();
		await expect.poll(status, { timeout: (RECHECK_SECONDS + 8) * 1_000, interval: 100 }).toBe(403);
		// Discord's answer replaced the stale copy, and stays the bot's view from then on.
		expect(Date.now() - tampered).toBeLessThan((RECHECK_SECONDS + 8) * 1_000);
		expect(container.client.guilds.cache.get(guildId)!.members.cache.get(users.linus)!.roles.cache.has(roles.admin)).toBe(false);
		expect(await status()).toBe(403);
	});
});
