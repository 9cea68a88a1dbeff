import type { ChatInputCommandInteraction, Client } from 'discord.js';
import { Events } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator } from './helpers.ts';

describe('interactions: the 3-second acknowledgement deadline and 15-minute tokens', () => {
	let emulator: Emulator;
	let client: Client<true>;
	// The emulator's clock, moved by the bot below: no test waits 3 s or 15 minutes.
	let now = 1_700_000_000_000;
	/** What the bot does with the next `ping` before answering. */
	let behaviour: (i: ChatInputCommandInteraction) => Promise<void> = async () => {};
	const outcomes: Array<{ ok: true } | { code: unknown; status: unknown }> = [];

	beforeAll(async () => {
		emulator = await startEmulator({ clock: () => now, replyTimeoutMs: 1_500 });
		client = await connectClient(emulator);
		await client.guilds.cache.get(emulator.seed.guildId)?.commands.create({ name: 'ping', description: 'Ping' });
		client.on(Events.InteractionCreate, (interaction) => {
			if (!interaction.isChatInputCommand() || interaction.commandName !== 'ping') return;
			behaviour(interaction).then(
				() => outcomes.push({ ok: true }),
				(error: { code?: unknown; status?: unknown }) => outcomes.push({ code: error.code, status: error.status })
			);
		});
	});
	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	const run = () =>
		call(emulator, 'POST', '/_emulator/interactions', {
			guild_id: emulator.seed.guildId,
			channel_id: emulator.seed.channels.general,
			user_id: emulator.seed.users.ada,
			command: 'ping'
		});

	it('GIVEN a reply 2.9 s after the interaction THEN it is accepted; GIVEN one 3.1 s after THEN 404 10062 Unknown interaction, counted as late', async () => {
		behaviour = async (i) => {
			now += 2_900;
			await i.reply('in time');
		};
		const inTime = await run();
		expect(inTime.status).toBe(200);
		expect((inTime.body as { content: string }).content).toBe('in time');

		behaviour = async (i) => {
			now += 3_100;
			await i.reply('too late');
		};
		outcomes.length = 0;
		const late = await run();
		// The user never sees an answer: the control API gives up as Discord's client would show "did not respond".
		expect(late.status).toBe(504);
		expect(outcomes).toEqual([{ code: 10062, status: 404 }]);
		expect(emulator.snapshot().interactions).toMatchObject({ acknowledged: 1, late: 1, max_ack_ms: 2_900 });
		const history = await call(emulator, 'GET', `/_emulator/channels/${emulator.seed.channels.general}/messages`);
		expect((history.body as Array<{ content: string }>).some((m) => m.content === 'too late')).toBe(false);
	});

	it('GIVEN an answered interaction THEN follow-ups and edits work for 15 minutes, then answer 401 50027 Invalid Webhook Token; an unknown token is 404 10015', async () => {
		let interaction: ChatInputCommandInteraction | undefined;
		behaviour = async (i) => {
			interaction = i;
			await i.reply('first');
		};
		expect((await run()).status).toBe(200);
		if (!interaction) throw new Error('the bot did not see the interaction');
		const i = interaction;

		now += 15 * 60_000 - 1_000;
		const followUp = await i.followUp('still valid at 14:59');
		expect(followUp.content).toBe('still valid at 14:59');
		await i.editReply('edited at 14:59');

		now += 2_000;
		await expect(i.followUp('at 15:01')).rejects.toMatchObject({ code: 50027, status: 401 });
		await expect(i.editReply('at 15:01')).rejects.toMatchObject({ code: 50027, status: 401 });
		await expect(i.fetchReply()).rejects.toMatchObject({ code: 50027, status: 401 });

		const unknown = await call(emulator, 'POST', `/api/v10/webhooks/${emulator.applicationId}/not-a-token`, { content: 'x' });
		expect(unknown.status).toBe(404);
		expect(unknown.body).toMatchObject({ code: 10015, message: 'Unknown Webhook' });
		const history = await call(emulator, 'GET', `/_emulator/channels/${emulator.seed.channels.general}/messages`);
		const contents = (history.body as Array<{ content: string }>).map((m) => m.content);
		expect(contents).toContain('edited at 14:59');
		expect(contents).not.toContain('at 15:01');
	});
});
