import { PermissionFlagsBits } from 'discord-api-types/v10';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { channelPermissions } from '../../src/sandbox/permissions.ts';
import { buildSeed } from '../../src/sandbox/seed.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { call, RawGateway, startEmulator } from './helpers.ts';

const P = PermissionFlagsBits;
const has = (bits: bigint, bit: bigint) => (bits & bit) === bit;

describe('channel permissions, computed as Discord documents them', () => {
	const state = new SandboxState(buildSeed().users[0]!.id);
	state.load(buildSeed());
	const seed = buildSeed();
	const guild = state.requireGuild(seed.guild.id);
	const [ada, grace, linus, , alan] = seed.users.slice(1).map((u) => u.id) as [string, string, string, string, string];
	const bot = seed.users[0]!.id;
	const member = seed.guild.roles.find((r) => r.name === 'Member')!.id;
	const channel = () => ({ ...state.requireChannel(seed.guild.channels[0]!.id), overwrites: [] as never[] });

	it('GIVEN the seeded #welcome THEN @everyone cannot post but the bot role allow wins over that deny', () => {
		const welcome = state.requireChannel(seed.guild.channels[1]!.id);
		expect(has(channelPermissions(guild, welcome, linus), P.SendMessages)).toBe(false);
		expect(has(channelPermissions(guild, welcome, linus), P.ViewChannel)).toBe(true);
		expect(has(channelPermissions(guild, welcome, bot), P.SendMessages | P.EmbedLinks)).toBe(true);
	});

	it('GIVEN role overwrites THEN all denies apply before all allows, and a member overwrite comes last', () => {
		const c = channel();
		(c.overwrites as unknown[]).push(
			{ id: guild.id, type: 0, allow: 0n, deny: P.SendMessages | P.AddReactions },
			{ id: member, type: 0, allow: P.SendMessages, deny: P.ReadMessageHistory },
			{ id: alan, type: 1, allow: P.ReadMessageHistory, deny: P.AddReactions }
		);
		expect(has(channelPermissions(guild, c, linus), P.SendMessages)).toBe(false);
		expect(has(channelPermissions(guild, c, linus), P.ReadMessageHistory)).toBe(true);
		const alanHas = channelPermissions(guild, c, alan);
		expect(has(alanHas, P.SendMessages)).toBe(true); // the Member role's allow beats the @everyone deny
		expect(has(alanHas, P.ReadMessageHistory)).toBe(true); // the member allow beats the role deny
		expect(has(alanHas, P.AddReactions)).toBe(false);
	});

	it('GIVEN no View Channel THEN nothing at all; without Send Messages, Embed Links and Attach Files go too', () => {
		const c = channel();
		(c.overwrites as unknown[]).push({ id: linus, type: 1, allow: P.ManageMessages, deny: P.ViewChannel });
		expect(channelPermissions(guild, c, linus)).toBe(0n);
		const d = channel();
		(d.overwrites as unknown[]).push({ id: linus, type: 1, allow: 0n, deny: P.SendMessages });
		const left = channelPermissions(guild, d, linus);
		expect(has(left, P.ViewChannel)).toBe(true);
		expect(left & (P.EmbedLinks | P.AttachFiles | P.SendMessages)).toBe(0n);
	});

	it('GIVEN the owner or an Administrator THEN overwrites do not apply', () => {
		const c = channel();
		(c.overwrites as unknown[]).push(
			{ id: guild.id, type: 0, allow: 0n, deny: P.ViewChannel },
			{ id: ada, type: 1, allow: 0n, deny: P.ViewChannel }
		);
		expect(has(channelPermissions(guild, c, ada), P.ViewChannel | P.Administrator)).toBe(true);
		expect(channelPermissions(guild, c, grace)).toBe(0n);
		guild.roles.get(seed.guild.roles.find((r) => r.name === 'Admin')!.id)!.permissions = P.Administrator;
		expect(has(channelPermissions(guild, c, grace), P.ViewChannel)).toBe(true);
	});
});

describe('permissions in the emulator: invocations, overwrites, 50013', () => {
	let emulator: Emulator;
	let gateway: RawGateway;
	let s: Emulator['seed'];
	const bot = () => ({ Authorization: `Bot ${emulator.botToken}` });

	beforeAll(async () => {
		emulator = await startEmulator({ replyTimeoutMs: 300 });
		s = emulator.seed;
	});

	beforeEach(async () => {
		gateway?.close();
		emulator.reset();
		const res = await call(
			emulator,
			'PUT',
			`/api/v10/applications/${emulator.applicationId}/guilds/${s.guildId}/commands`,
			[
				{
					name: 'admin',
					description: 'Admin things',
					default_member_permissions: String(P.ManageGuild),
					options: [
						{
							type: 2,
							name: 'tiers',
							description: 'Tiers',
							options: [{ type: 1, name: 'sync', description: 'Sync' }]
						}
					]
				},
				{ name: 'owner', description: 'Admins only', default_member_permissions: '0' },
				{ name: 'open', description: 'Everyone' }
			],
			bot()
		);
		expect(res.status).toBe(200);
		gateway = await RawGateway.open(emulator);
		await gateway.identify(emulator.botToken, 1 | 2 | 512);
	});

	afterAll(async () => {
		gateway?.close();
		await emulator?.stop();
	});

	const run = (user: string, command: string, channel = s.channels.general) =>
		call(emulator, 'POST', '/_emulator/interactions', { guild_id: s.guildId, channel_id: channel, user_id: user, command });
	/** Offered: it reached the bot (which does not answer here, so the control API times out with 504). */
	const offered = async (user: string, command: string, channel?: string) => {
		const before = gateway.received.length;
		const res = await run(user, command, channel);
		expect(res.status, JSON.stringify(res.body)).toBe(504);
		const created = await gateway.next((p) => p.t === 'INTERACTION_CREATE', 2_000, before);
		return created.d as { member: { permissions: string }; app_permissions: string; channel: { permissions: string } };
	};

	it('GIVEN a member without the permission THEN the invocation is refused with 403 naming it, also for a subcommand group', async () => {
		const before = gateway.received.length;
		const res = await run(s.users.linus, 'admin tiers sync');
		expect(res.status).toBe(403);
		expect((res.body as { error: string }).error).toMatch(/lacks ManageGuild in #general/);
		expect(gateway.received.slice(before).some((p) => p.t === 'INTERACTION_CREATE')).toBe(false);
		const d = await offered(s.users.grace, 'admin tiers sync');
		expect(has(BigInt(d.member.permissions), P.ManageGuild)).toBe(true);
		await offered(s.users.linus, 'open');
	});

	it('GIVEN a member overwrite taking the permission away in one channel THEN it is refused there only', async () => {
		emulator.setChannelOverwrite(s.channels.general, s.users.grace, { type: 1, deny: String(P.ManageGuild) });
		expect((await run(s.users.grace, 'admin tiers sync')).status).toBe(403);
		await offered(s.users.grace, 'admin tiers sync', s.channels.daily);
	});

	it('GIVEN default_member_permissions "0" THEN only administrators and the owner are offered it', async () => {
		const res = await run(s.users.grace, 'owner');
		expect(res.status).toBe(403);
		expect((res.body as { error: string }).error).toMatch(/administrators only/);
		await offered(s.users.ada, 'owner');
	});

	it('GIVEN the server overrides the command (integration settings) THEN user, then role, then @everyone entries decide', async () => {
		emulator.setCommandPermissions(s.guildId, 'admin', { permissions: [{ id: s.roles.everyone, type: 1, permission: true }] });
		await offered(s.users.linus, 'admin tiers sync');
		emulator.setCommandPermissions(s.guildId, 'admin', {
			permissions: [
				{ id: s.roles.everyone, type: 1, permission: true },
				{ id: s.roles.member, type: 1, permission: false },
				{ id: s.users.grace, type: 2, permission: false }
			]
		});
		expect((await run(s.users.alan, 'admin tiers sync')).status).toBe(403);
		const grace = await run(s.users.grace, 'admin tiers sync');
		expect((grace.body as { error: string }).error).toMatch(/switched off/);
		await offered(s.users.ada, 'admin tiers sync'); // the owner is an administrator
		const bad = await call(emulator, 'PUT', `/_emulator/guilds/${s.guildId}/commands/nope/permissions`, { permissions: [] });
		expect(bad.status).toBe(404);
	});

	it('GIVEN no Use Application Commands or no View Channel in the channel THEN nothing is offered there', async () => {
		emulator.setChannelOverwrite(s.channels.daily, s.roles.everyone, { type: 0, deny: String(P.UseApplicationCommands) });
		expect(((await run(s.users.linus, 'open', s.channels.daily)).body as { error: string }).error).toMatch(/UseApplicationCommands/);
		emulator.setChannelOverwrite(s.channels.feeds, s.users.linus, { type: 1, deny: String(P.ViewChannel) });
		expect(((await run(s.users.linus, 'open', s.channels.feeds)).body as { error: string }).error).toMatch(/cannot see #feeds/);
	});

	it('GIVEN overwrites THEN GUILD_CREATE and CHANNEL_UPDATE carry them, and a person cannot post where @everyone is denied', async () => {
		const create = await gateway.next((p) => p.t === 'GUILD_CREATE');
		const welcome = (create.d as { channels: Array<{ id: string; permission_overwrites: unknown[] }> }).channels.find(
			(c) => c.id === s.channels.welcome
		);
		expect(welcome?.permission_overwrites).toEqual([
			{ id: s.roles.everyone, type: 0, allow: '0', deny: String(P.SendMessages) },
			{ id: s.roles.bot, type: 0, allow: String(P.SendMessages | P.EmbedLinks), deny: '0' }
		]);
		const before = gateway.received.length;
		const put = await call(emulator, 'PUT', `/_emulator/channels/${s.channels.general}/permissions/${s.roles.member}`, {
			type: 0,
			allow: String(P.AttachFiles)
		});
		expect(put.status).toBe(200);
		const update = await gateway.next((p) => p.t === 'CHANNEL_UPDATE', 2_000, before);
		expect((update.d as { permission_overwrites: unknown[] }).permission_overwrites).toContainEqual({
			id: s.roles.member,
			type: 0,
			allow: String(P.AttachFiles),
			deny: '0'
		});
		const post = await call(emulator, 'POST', '/_emulator/messages', {
			guild_id: s.guildId,
			channel_id: s.channels.welcome,
			user_id: s.users.linus,
			content: 'hi'
		});
		expect(post.status).toBe(403);
		expect((post.body as { error: string }).error).toMatch(/lacks SendMessages in #welcome/);
	});

	it('GIVEN bad overwrite edits THEN 400/404 and nothing changes', async () => {
		const path = `/_emulator/channels/${s.channels.general}/permissions`;
		expect((await call(emulator, 'PUT', `${path}/123`, { type: 0 })).status).toBe(400); // not a role
		expect((await call(emulator, 'PUT', `${path}/${s.roles.member}`, { type: 0, allow: '8', deny: '8' })).status).toBe(400);
		expect((await call(emulator, 'PUT', `${path}/${s.roles.member}`, { type: 2 })).status).toBe(400);
		expect((await call(emulator, 'DELETE', `${path}/${s.roles.member}`)).status).toBe(404);
		expect(emulator.snapshot().guilds[0]!.channels.find((c) => c.id === s.channels.general)!.permission_overwrites).toEqual([]);
	});

	describe('the bot acting in a channel', () => {
		const post = (channel: string, body: unknown) => call(emulator, 'POST', `/api/v10/channels/${channel}/messages`, body, bot());
		const embed = { title: 'Digest', description: 'Today' };

		it('GIVEN the seeded #welcome THEN the bot may post there (its role allow beats the @everyone deny)', async () => {
			expect((await post(s.channels.welcome, { content: 'Welcome!', embeds: [embed] })).status).toBe(200);
		});

		it('GIVEN no Send Messages in the channel THEN 403 50013', async () => {
			emulator.setChannelOverwrite(s.channels.general, s.roles.bot, { type: 0, deny: String(P.SendMessages) });
			const res = await post(s.channels.general, { content: 'hi' });
			expect(res.status).toBe(403);
			expect(res.body).toMatchObject({ code: 50013 });
			expect(emulator.channelMessages(s.channels.general)).toHaveLength(0);
		});

		it('GIVEN no View Channel THEN 403 50001 Missing Access, as Discord answers for a channel the bot cannot see', async () => {
			emulator.setChannelOverwrite(s.channels.general, emulator.botUserId, { type: 1, deny: String(P.ViewChannel) });
			const res = await post(s.channels.general, { content: 'hi' });
			expect(res.status).toBe(403);
			expect(res.body).toMatchObject({ code: 50001 });
		});

		it('GIVEN no Embed Links THEN an embed-only message is 403 50013 and one with content is sent without its embeds', async () => {
			emulator.setChannelOverwrite(s.channels.general, s.roles.bot, { type: 0, deny: String(P.EmbedLinks) });
			const only = await post(s.channels.general, { embeds: [embed] });
			expect(only.status).toBe(403);
			expect(only.body).toMatchObject({ code: 50013 });
			const mixed = await post(s.channels.general, { content: 'Digest', embeds: [embed] });
			expect(mixed.status).toBe(200);
			expect(mixed.body).toMatchObject({ content: 'Digest', embeds: [] });
			emulator.deleteChannelOverwrite(s.channels.general, s.roles.bot);
			expect((await post(s.channels.general, { embeds: [embed] })).body).toMatchObject({ embeds: [expect.objectContaining(embed)] });
		});

		it('GIVEN the bot role loses Manage Roles THEN giving a member a role is 403 50013, and it works with it', async () => {
			const path = `/api/v10/guilds/${s.guildId}/members/${s.users.linus}/roles/${s.roles.member}`;
			emulator.updateRole(s.roles.bot, { guild_id: s.guildId, permissions: String(P.ViewChannel | P.SendMessages) });
			const refused = await call(emulator, 'PUT', path, undefined, bot());
			expect(refused.status).toBe(403);
			expect(refused.body).toMatchObject({ code: 50013 });
			emulator.updateRole(s.roles.bot, { guild_id: s.guildId, permissions: String(P.ManageRoles | P.ViewChannel) });
			expect((await call(emulator, 'PUT', path, undefined, bot())).status).toBe(204);
		});

		it('GIVEN a channel overwrite THEN the interaction carries channel-level app_permissions and member permissions', async () => {
			emulator.setChannelOverwrite(s.channels.general, s.roles.bot, { type: 0, deny: String(P.EmbedLinks) });
			const d = await offered(s.users.linus, 'open');
			expect(has(BigInt(d.app_permissions), P.EmbedLinks)).toBe(false);
			expect(has(BigInt(d.app_permissions), P.SendMessages)).toBe(true);
			emulator.setChannelOverwrite(s.channels.general, s.users.linus, { type: 1, deny: String(P.AddReactions) });
			const again = await offered(s.users.linus, 'open');
			expect(has(BigInt(again.member.permissions), P.AddReactions)).toBe(false);
			expect(again.channel.permissions).toBe(again.member.permissions);
		});
	});
});
