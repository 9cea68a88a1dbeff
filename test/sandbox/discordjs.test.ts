import type { ChatInputCommandInteraction, Client, Message, VoiceChannel } from 'discord.js';
import { ActionRowBuilder, ApplicationCommandOptionType, ButtonBuilder, ButtonStyle, ChannelType, Events, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, VisibleReply } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator, waitFor } from './helpers.ts';

describe('sandbox emulator with a stock discord.js client', () => {
	let emulator: Emulator;
	let client: Client<true>;

	beforeAll(async () => {
		emulator = await startEmulator({ replyTimeoutMs: 3_000 });
		client = await connectClient(emulator);
	});

	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	it('GIVEN login THEN READY and GUILD_CREATE cache the seeded guild with channels, roles and only the bot as member', async () => {
		const { seed } = emulator;
		expect(client.user.id).toBe(emulator.botUserId);
		expect(client.user.bot).toBe(true);
		expect(client.user.username).toBe('Facet');
		expect(client.application.id).toBe(emulator.applicationId);
		const guild = client.guilds.cache.get(seed.guildId);
		expect(guild?.available).toBe(true);
		expect(guild?.name).toBe('Facet Sandbox');
		expect(guild?.ownerId).toBe(seed.users.ada);
		expect(guild?.channels.cache.get(seed.channels.general)?.name).toBe('general');
		expect(guild?.channels.cache.get(seed.channels.lounge)?.type).toBe(ChannelType.GuildVoice);
		expect(guild?.roles.cache.map((r) => r.name).sort()).toEqual(['@everyone', 'Admin', 'Facet', 'Member']);
		// Without GUILD_PRESENCES, Discord's GUILD_CREATE carries only the bot (and members in voice): the rest is fetched.
		expect([...(guild?.members.cache.keys() ?? [])]).toEqual([emulator.botUserId]);
		expect(guild?.memberCount).toBe(6);
		expect((await guild?.members.fetch(seed.users.grace))?.roles.cache.has(seed.roles.admin)).toBe(true);
		// The bot's managed role outranks Admin and Member, so it can manage them.
		expect(guild?.members.me?.roles.highest.id).toBe(seed.roles.bot);
		expect(guild?.roles.cache.get(seed.roles.member)?.editable).toBe(true);
		expect(guild?.roles.cache.get(seed.roles.admin)?.editable).toBe(true);
		expect(emulator.stats.identifies).toBe(1);
	});

	it('GIVEN a guild command registered through discord.js THEN the control API lists it with its options', async () => {
		const guild = client.guilds.cache.get(emulator.seed.guildId);
		const created = await guild?.commands.create({
			name: 'mileage',
			description: 'Mileage points',
			options: [
				{
					type: ApplicationCommandOptionType.Subcommand,
					name: 'adjust',
					description: 'Adjust points',
					options: [
						{ type: ApplicationCommandOptionType.User, name: 'member', description: 'Who', required: true },
						{
							type: ApplicationCommandOptionType.Integer,
							name: 'points',
							description: 'How many',
							required: true,
							min_value: -100,
							max_value: 100
						}
					]
				},
				{ type: ApplicationCommandOptionType.Subcommand, name: 'show', description: 'Show points' }
			]
		});
		await guild?.commands.create({ name: 'slow', description: 'Defers, then edits' });
		await guild?.commands.create({
			name: 'pick',
			description: 'Autocomplete',
			options: [{ type: ApplicationCommandOptionType.String, name: 'fruit', description: 'Fruit', autocomplete: true }]
		});
		await guild?.commands.create({ name: 'buttons', description: 'Posts a button' });
		expect(created?.id).toMatch(/^\d+$/);
		const listed = await call(emulator, 'GET', `/_emulator/guilds/${emulator.seed.guildId}/commands`);
		expect(listed.status).toBe(200);
		const mileage = (listed.body as Array<{ name: string; guild_id: string | null; options: Array<{ name: string }> }>).find(
			(c) => c.name === 'mileage'
		);
		expect(mileage?.guild_id).toBe(emulator.seed.guildId);
		expect(mileage?.options.map((o) => o.name)).toEqual(['adjust', 'show']);
		// discord.js sees the same commands when it fetches them.
		const fetched = await guild?.commands.fetch();
		expect(fetched?.map((c) => c.name).sort()).toEqual(['buttons', 'mileage', 'pick', 'slow']);
	});

	it('GIVEN a bot that replies directly THEN POST /_emulator/interactions answers with the reply and resolved options', async () => {
		const seen: ChatInputCommandInteraction[] = [];
		const handler = async (interaction: unknown) => {
			const i = interaction as ChatInputCommandInteraction;
			if (!i.isChatInputCommand?.() || i.commandName !== 'mileage') return;
			seen.push(i);
			const member = i.options.getUser('member', true);
			const points = i.options.getInteger('points', true);
			await i.reply({ content: `${i.options.getSubcommand()} ${member.username} ${points}`, flags: MessageFlags.Ephemeral });
		};
		client.on(Events.InteractionCreate, handler);
		try {
			const { seed } = emulator;
			const res = await call(emulator, 'POST', '/_emulator/interactions', {
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.grace,
				command: 'mileage adjust',
				options: { member: seed.users.alan, points: 5 }
			});
			expect(res.status, JSON.stringify(res.body)).toBe(200);
			const reply = res.body as VisibleReply;
			expect(reply.content).toBe('adjust alan 5');
			expect(reply.ephemeral).toBe(true);
			expect(reply.embeds).toEqual([]);
			const interaction = seen[0];
			expect(interaction?.user.id).toBe(seed.users.grace);
			expect(interaction?.channel?.id).toBe(seed.channels.general);
			// Grace holds Admin (Manage Server): permissions are computed from her roles.
			expect(interaction?.memberPermissions?.has('ManageGuild')).toBe(true);
			expect(interaction?.memberPermissions?.has('ManageRoles')).toBe(false);
			expect(interaction?.appPermissions.has('ManageRoles')).toBe(true);
			// Ephemeral replies stay out of channel history.
			const history = await call(emulator, 'GET', `/_emulator/channels/${seed.channels.general}/messages`);
			expect((history.body as Array<{ content: string }>).some((m) => m.content === 'adjust alan 5')).toBe(false);
		} finally {
			client.off(Events.InteractionCreate, handler);
		}
	});

	it('GIVEN a bot that defers then edits THEN the control API answers with the edit, not the loading message', async () => {
		const handler = async (interaction: unknown) => {
			const i = interaction as ChatInputCommandInteraction;
			if (!i.isChatInputCommand?.() || i.commandName !== 'slow') return;
			await i.deferReply();
			await new Promise((resolve) => setTimeout(resolve, 50));
			await i.editReply({ content: 'done thinking', embeds: [{ title: 'Result', fields: [{ name: 'a', value: 'b' }] }] });
		};
		client.on(Events.InteractionCreate, handler);
		try {
			const { seed } = emulator;
			const reply = (await emulator.runInteraction({
				guild_id: seed.guildId,
				channel_id: seed.channels.daily,
				user_id: seed.users.linus,
				command: 'slow'
			})) as VisibleReply;
			expect(reply.content).toBe('done thinking');
			expect(reply.ephemeral).toBe(false);
			expect(reply.embeds).toEqual([{ type: 'rich', title: 'Result', fields: [{ name: 'a', value: 'b', inline: false }] }]);
			const history = emulator.channelMessages(seed.channels.daily);
			const last = history.at(-1) as { content: string; author: { id: string }; flags: number };
			expect(last.content).toBe('done thinking');
			expect(last.author.id).toBe(emulator.botUserId);
			expect(last.flags & MessageFlags.Loading).toBe(0);
		} finally {
			client.off(Events.InteractionCreate, handler);
		}
	});

	it('GIVEN an autocomplete request THEN the control API answers with the choices', async () => {
		const handler = async (interaction: unknown) => {
			const i = interaction as import('discord.js').AutocompleteInteraction;
			if (!i.isAutocomplete?.()) return;
			const typed = i.options.getFocused();
			await i.respond(['apple', 'apricot', 'banana'].filter((f) => f.startsWith(typed)).map((f) => ({ name: f, value: f })));
		};
		client.on(Events.InteractionCreate, handler);
		try {
			const { seed } = emulator;
			const res = await call(emulator, 'POST', '/_emulator/interactions', {
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.ada,
				command: 'pick',
				options: { fruit: 'ap' },
				autocomplete: 'fruit'
			});
			expect(res.status).toBe(200);
			expect(res.body).toEqual({
				choices: [
					{ name: 'apple', value: 'apple' },
					{ name: 'apricot', value: 'apricot' }
				]
			});
		} finally {
			client.off(Events.InteractionCreate, handler);
		}
	});

	it('GIVEN a bot message with a button THEN pressing it reaches the bot and an update answers with the new message', async () => {
		const handler = async (interaction: unknown) => {
			const i = interaction as import('discord.js').Interaction;
			if (i.isChatInputCommand() && i.commandName === 'buttons') {
				const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
					new ButtonBuilder().setCustomId('count:0').setLabel('0').setStyle(ButtonStyle.Primary)
				);
				await i.reply({ content: 'count 0', components: [row] });
			} else if (i.isButton()) {
				const next = Number(i.customId.split(':')[1]) + 1;
				expect(i.message.content).toBe('count 0');
				const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
					new ButtonBuilder().setCustomId(`count:${next}`).setLabel(String(next)).setStyle(ButtonStyle.Primary)
				);
				await i.update({ content: `count ${next}`, components: [row] });
			}
		};
		client.on(Events.InteractionCreate, handler);
		try {
			const { seed } = emulator;
			const posted = (await emulator.runInteraction({
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.ada,
				command: 'buttons'
			})) as VisibleReply;
			expect(posted.content).toBe('count 0');
			const pressed = await call(emulator, 'POST', '/_emulator/components', {
				message_id: posted.message_id,
				user_id: seed.users.linus,
				custom_id: 'count:0'
			});
			expect(pressed.status).toBe(200);
			const reply = pressed.body as VisibleReply;
			expect(reply.content).toBe('count 1');
			expect(reply.message_id).toBe(posted.message_id);
			expect(JSON.stringify(reply.components)).toContain('count:1');
			const unknown = await call(emulator, 'POST', '/_emulator/components', {
				message_id: posted.message_id,
				user_id: seed.users.linus,
				custom_id: 'nope'
			});
			expect(unknown.status).toBe(400);
			expect((unknown.body as { error: string }).error).toContain('nope');
		} finally {
			client.off(Events.InteractionCreate, handler);
		}
	});

	it('GIVEN a bot that never answers THEN the control API gives up with 504', async () => {
		const { seed } = emulator;
		const started = Date.now();
		const res = await call(emulator, 'POST', '/_emulator/interactions', {
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.ada,
			command: 'mileage show'
		});
		expect(res.status).toBe(504);
		expect(res.body).toEqual({ error: 'the bot did not answer in time' });
		expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
	});

	it('GIVEN a person posts through the control API THEN the bot receives MESSAGE_CREATE with content and author', async () => {
		const { seed } = emulator;
		const received = new Promise<Message>((resolve) => client.once(Events.MessageCreate, resolve));
		const res = await call(emulator, 'POST', '/_emulator/messages', {
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.margaret,
			content: `hello <@${emulator.botUserId}>`
		});
		expect(res.status).toBe(201);
		const message = await received;
		expect(message.id).toBe((res.body as { id: string }).id);
		expect(message.content).toBe(`hello <@${emulator.botUserId}>`);
		expect(message.author.username).toBe('margaret');
		expect(message.member?.id).toBe(seed.users.margaret);
		expect(message.mentions.users.has(emulator.botUserId)).toBe(true);
	});

	it('GIVEN the bot sends, edits and deletes a message THEN history and gateway events follow', async () => {
		const { seed } = emulator;
		const channel = client.channels.cache.get(seed.channels.feeds);
		if (!channel?.isSendable()) throw new Error('feeds is not sendable');
		const created = new Promise<Message>((resolve) => client.once(Events.MessageCreate, resolve));
		const sent = await channel.send('first feed post');
		expect((await created).id).toBe(sent.id);
		const edited = await sent.edit('edited feed post');
		expect(edited.editedTimestamp).not.toBeNull();
		const history = emulator.channelMessages(seed.channels.feeds) as Array<{ id: string; content: string }>;
		expect(history.map((m) => m.content)).toEqual(['edited feed post']);
		const deleted = new Promise<string>((resolve) => client.once(Events.MessageDelete, (m) => resolve(m.id)));
		await sent.delete();
		expect(await deleted).toBe(sent.id);
		expect(emulator.channelMessages(seed.channels.feeds)).toEqual([]);
	});

	it('GIVEN the bot adds a role through REST THEN the member update arrives and the state shows it; a role above the bot is refused', async () => {
		const { seed } = emulator;
		const guild = client.guilds.cache.get(seed.guildId);
		const linus = await guild?.members.fetch(seed.users.linus);
		const updated = new Promise<string[]>((resolve) =>
			client.once(Events.GuildMemberUpdate, (_old, member) => resolve([...member.roles.cache.keys()]))
		);
		await linus?.roles.add(seed.roles.member);
		expect(await updated).toContain(seed.roles.member);
		const state = emulator.snapshot();
		const member = state.guilds[0]?.members.find((m) => m.user_id === seed.users.linus);
		expect(member?.roles).toEqual([seed.roles.member]);
		await expect(linus?.roles.add(seed.roles.bot)).rejects.toMatchObject({ code: 50013, status: 403 });
	});

	it('GIVEN roles created and moved through the control API THEN discord.js follows positions and hierarchy; its own role writes are checked', async () => {
		const { seed } = emulator;
		const guild = client.guilds.cache.get(seed.guildId);
		if (!guild) throw new Error('no guild');
		const botTop = () => guild.members.me?.roles.highest.position ?? 0;
		// Above the bot's highest role: the bot sees it there and cannot manage it.
		const above = emulator.createRole({ guild_id: seed.guildId, name: 'Above', position: botTop() + 1, color: 0xff0000 }) as { id: string };
		const role = await waitFor(() => guild.roles.cache.get(above.id), 5_000, 'GUILD_ROLE_CREATE');
		expect(role.position).toBeGreaterThan(botTop());
		expect(role.editable).toBe(false);
		const linus = await guild.members.fetch(seed.users.linus);
		await expect(linus.roles.add(above.id)).rejects.toMatchObject({ code: 50013, status: 403 });
		await expect(role.edit({ name: 'Mine now' })).rejects.toMatchObject({ code: 50013, status: 403 });

		// Moved to just above @everyone: every role in between moves up one, in Discord's order and in discord.js' cache.
		const moved = await call(emulator, 'PATCH', `/_emulator/roles/${above.id}`, { guild_id: seed.guildId, position: 1 });
		expect(moved.status, moved.text).toBe(200);
		const positions = () =>
			Object.fromEntries(emulator.snapshot().guilds[0]?.roles.map((r) => [r.name, r.position]) ?? []) as Record<string, number>;
		expect(positions()).toEqual({ '@everyone': 0, Above: 1, Member: 2, Admin: 3, Facet: 4 });
		await waitFor(() => guild.roles.cache.get(seed.roles.bot)?.position === 4 && role.position === 1, 5_000, 'GUILD_ROLE_UPDATEs');
		expect(guild.roles.cache.map((r) => `${r.name}:${r.position}`).sort()).toEqual([
			'@everyone:0',
			'Above:1',
			'Admin:3',
			'Facet:4',
			'Member:2'
		]);
		expect(role.editable).toBe(true);
		await linus.roles.add(above.id);

		// The bot creates and edits roles through REST: a new role lands just above @everyone; Administrator it cannot grant.
		const created = await guild.roles.create({ name: 'Made by the bot', permissions: ['ViewChannel'] });
		expect(created.position).toBe(1);
		expect(positions()['Made by the bot']).toBe(1);
		expect(positions().Above).toBe(2);
		const edited = await created.edit({ name: 'Edited by the bot', colors: { primaryColor: 0x00ff00 } });
		expect(edited.name).toBe('Edited by the bot');
		expect(emulator.snapshot().guilds[0]?.roles.find((r) => r.id === created.id)?.color).toBe(0x00ff00);
		await expect(created.edit({ permissions: ['Administrator'] })).rejects.toMatchObject({ code: 50013 });
		await expect(guild.roles.create({ name: 'Admin too', permissions: ['Administrator'] })).rejects.toMatchObject({ code: 50013 });
	});

	it('GIVEN members, reactions and voice from the control API THEN the bot gets the matching events', async () => {
		const { seed } = emulator;
		const joined = new Promise<string>((resolve) => client.once(Events.GuildMemberAdd, (m) => resolve(m.user.username)));
		const member = await call(emulator, 'POST', '/_emulator/members', { guild_id: seed.guildId, username: 'newcomer' });
		expect(member.status).toBe(201);
		expect(await joined).toBe('newcomer');

		const message = emulator.sendMessage({
			guild_id: seed.guildId,
			channel_id: seed.channels.welcome,
			user_id: seed.users.ada,
			content: 'react to me'
		});
		const reacted = new Promise<string>((resolve) =>
			client.once(Events.MessageReactionAdd, (r, user) => resolve(`${r.emoji.name} ${user.id}`))
		);
		const reaction = await call(emulator, 'POST', '/_emulator/reactions', {
			guild_id: seed.guildId,
			channel_id: seed.channels.welcome,
			message_id: message.id,
			user_id: seed.users.grace,
			emoji: '👍'
		});
		expect(reaction.status).toBe(200);
		expect(await reacted).toBe(`👍 ${seed.users.grace}`);

		const voice = new Promise<string | null>((resolve) => client.once(Events.VoiceStateUpdate, (_old, state) => resolve(state.channelId)));
		const res = await call(emulator, 'POST', '/_emulator/voice', {
			guild_id: seed.guildId,
			user_id: seed.users.alan,
			channel_id: seed.channels.lounge
		});
		expect(res.status).toBe(200);
		expect(await voice).toBe(seed.channels.lounge);
		const lounge = client.guilds.cache.get(seed.guildId)?.channels.cache.get(seed.channels.lounge) as VoiceChannel | undefined;
		expect(lounge?.members.has(seed.users.alan)).toBe(true);
	});

	it('GIVEN a reset THEN the seed is back and the bot still gets events on the same session', async () => {
		const { seed } = emulator;
		emulator.reset();
		const state = emulator.snapshot();
		expect(state.guilds).toHaveLength(1);
		expect(state.guilds[0]?.members.find((m) => m.user_id === seed.users.linus)?.roles).toEqual([]);
		expect(state.users.some((u) => u.username === 'newcomer')).toBe(false);
		expect(emulator.guildCommands(seed.guildId)).toEqual([]);
		await waitFor(() => client.guilds.cache.get(seed.guildId)?.available, 5_000, 'guild available again');
		const received = new Promise<string>((resolve) => client.once(Events.MessageCreate, (m) => resolve(m.content)));
		emulator.sendMessage({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.ada, content: 'after reset' });
		expect(await received).toBe('after reset');
		expect(emulator.stats.identifies).toBe(1);
	});
});
