import type { ChatInputCommandInteraction, Client, TextChannel } from 'discord.js';
import { DiscordAPIError, Events, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identify } from '../../src/core/errors.ts';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator } from './helpers.ts';

/** What discord.js makes of the emulator's refusals: the DiscordAPIError a bot on Discord would get. */
describe('strict bodies through a stock discord.js client', () => {
	let emulator: Emulator;
	let client: Client<true>;
	let channel: TextChannel;

	beforeAll(async () => {
		emulator = await startEmulator({ replyTimeoutMs: 5_000 });
		client = await connectClient(emulator);
		channel = (await client.channels.fetch(emulator.seed.channels.general)) as TextChannel;
	});
	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	async function refusal(action: Promise<unknown>): Promise<DiscordAPIError> {
		const error = await action.then(
			() => null,
			(e: unknown) => e
		);
		expect(error).toBeInstanceOf(DiscordAPIError);
		return error as DiscordAPIError;
	}

	it('GIVEN channel.send with an over-long title and content THEN DiscordAPIError 50035 names both fields and nothing is posted', async () => {
		const before = emulator.channelMessages(channel.id).length;
		const error = await refusal(channel.send({ content: 'x'.repeat(2001), embeds: [{ title: 't'.repeat(257) }] }));
		expect(error.status).toBe(400);
		expect(error.code).toBe(50035);
		// discord.js flattens Discord's error tree into its message.
		expect(error.message).toContain('content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.');
		expect(error.message).toContain('embeds[0].title[BASE_TYPE_MAX_LENGTH]: Must be 256 or fewer in length.');
		expect(emulator.channelMessages(channel.id).length).toBe(before);
		const sent = await channel.send({ content: 'x'.repeat(2000), embeds: [{ title: 't'.repeat(256) }] });
		expect(sent.content.length).toBe(2000);
	});

	it("GIVEN the emulator's real 50035 THEN Facet's error renderer names Discord's fields to the user, at most three", async () => {
		const two = identify(await refusal(channel.send({ content: 'x'.repeat(2001), embeds: [{ title: 't'.repeat(257) }] })));
		expect(two).toMatchObject({ identifier: 'discord_refused', status: 502 });
		// Discord's own words, at the field paths of its error tree.
		expect(two!.message).toMatch(/^Discord refused Facet's answer as invalid \(/);
		expect(two!.message).toContain('content: Must be 2000 or fewer in length.');
		expect(two!.message).toContain('embeds.0.title: Must be 256 or fewer in length.');
		const four = identify(
			await refusal(
				channel.send({
					content: 'x'.repeat(2001),
					embeds: [{ title: 't'.repeat(257), description: 'd'.repeat(4097), footer: { text: 'f'.repeat(2049) } }]
				})
			)
		);
		// Three fields, then an ellipsis for the rest.
		expect(four?.message?.match(/Must be \d+ or fewer in length\./g)).toHaveLength(3);
		expect(four!.message).toContain('; …)');
	});

	it('GIVEN a role edit discord.js sends with a bad color THEN DiscordAPIError 50035 at color', async () => {
		const role = await channel.guild.roles.create({ name: 'Strict' });
		const error = await refusal(client.rest.patch(`/guilds/${channel.guild.id}/roles/${role.id}`, { body: { color: 0x1000000 } }));
		expect(error.code).toBe(50035);
		expect(error.message).toContain('color[NUMBER_TYPE_MAX]');
	});

	it('GIVEN interaction.reply with a duplicated custom_id THEN the bot gets 50035 and can still answer', async () => {
		await client.application.commands.create({ name: 'strict', description: 'Strict' }, emulator.seed.guildId);
		const errors: DiscordAPIError[] = [];
		const handler = async (interaction: unknown) => {
			const i = interaction as ChatInputCommandInteraction;
			if (!i.isChatInputCommand?.() || i.commandName !== 'strict') return;
			const button = (label: string) => ({ type: 2, style: 1, label, custom_id: 'same' });
			try {
				await i.reply({ content: 'menu', components: [{ type: 1, components: [button('a'), button('b')] }] });
			} catch (error) {
				errors.push(error as DiscordAPIError);
				await i.reply({ content: 'menu unavailable', flags: MessageFlags.Ephemeral });
			}
		};
		client.on(Events.InteractionCreate, handler);
		try {
			const res = await call(emulator, 'POST', '/_emulator/interactions', {
				guild_id: emulator.seed.guildId,
				channel_id: channel.id,
				user_id: emulator.seed.users.ada,
				command: 'strict'
			});
			expect(res.status, res.text).toBe(200);
			expect((res.body as { content: string }).content).toBe('menu unavailable');
			expect(errors.map((e) => e.code)).toEqual([50035]);
			expect(errors[0]?.message).toContain('data.components[0].components[1].custom_id[COMPONENT_CUSTOM_ID_DUPLICATED]');
		} finally {
			client.off(Events.InteractionCreate, handler);
		}
	});
});
