import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugin } from '../../src/plugins/config/index.ts';
import { type ApiBot, startApiBot } from '../api/helpers.ts';
import { controlRequest, interact, waitUntil } from '../helpers/sandbox.ts';

/*
 * Facet against the strict emulator: what Discord would refuse never becomes a lost message or an
 * unhandled error. A welcome template that could render past 2,000 characters is refused when it is set;
 * a 50035 Discord answers to a reply reaches the user as a clear message.
 */

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin] });
	seed = bot.emulator.seed;
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

describe('Facet and Discord 50035', () => {
	it('GIVEN a welcome message of many {user} THEN /config set refuses it with the reason; a joining member is greeted with the last good one', async () => {
		await interact(bot.emulator, {
			user: seed.users.grace,
			command: 'config set welcome-channel',
			options: { channel: seed.channels.welcome }
		});
		const good = await interact(bot.emulator, {
			user: seed.users.grace,
			command: 'config set welcome-message',
			options: { message: 'Hi {user}!' }
		});
		expect(good.status).toBe(200);
		// 250 × "{user}" is 1,500 characters, within the option's limit, but 5,750 once every mention is filled in.
		const flood = '{user}'.repeat(250);
		const refused = await interact(bot.emulator, {
			user: seed.users.grace,
			command: 'config set welcome-message',
			options: { message: flood }
		});
		expect(refused.status).toBe(200);
		expect(refused.body.ephemeral).toBe(true);
		expect(refused.body.content).toContain('welcomeMessage: filled in, it could reach 5750 characters');
		expect(refused.body.content).toContain('Discord allows 2000');

		const joined = await controlRequest(bot.emulator, 'POST', '/_emulator/members', { guild_id: seed.guildId, username: 'newcomer' });
		expect(joined.status, JSON.stringify(joined.body)).toBe(201);
		const newcomer = (joined.body as { user?: { id: string } }).user?.id;
		const messages = await waitUntil(
			() => bot.emulator.channelMessages(seed.channels.welcome) as Array<{ content: string }>,
			(list) => list.some((m) => m.content.includes(`<@${newcomer}>`))
		);
		expect(messages.map((m) => m.content)).toContain(`Hi <@${newcomer}>!`);
	});

	it('GIVEN Discord answers a reply with 50035 THEN the user gets a clear message naming the refusal, not "something went wrong"', async () => {
		bot.emulator.injectFault({ kind: 'rest_error', route: '/callback', status: 400, code: 50035, count: 1 });
		const res = await interact(bot.emulator, { user: seed.users.grace, command: 'config view' });
		expect(res.status).toBe(200);
		expect(res.body.ephemeral).toBe(true);
		expect(res.body.content).toMatch(/^Discord refused Facet's answer as invalid/);
		expect(res.body.content).not.toContain('Something went wrong');
	});
});
