import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChannelType, GatewayCloseCodes, GatewayDispatchEvents, GatewayIntentBits, PermissionFlagsBits } from 'discord-api-types/v10';
import { z } from 'zod';
import type { SandboxContext } from './context.ts';
import { ControlError, DiscordErrorCode, RestError } from './errors.ts';
import { readRaw, sendJson } from './http.ts';
import type { InteractionOutcome, InteractionRecord, VisibleReply } from './interactions.ts';
import { buildCommandInteraction, buildComponentInteraction } from './interactions.ts';
import { seedMembers } from './members.ts';
import { deleteOverwrite, setOverwrite } from './overwrites.ts';
import { ALL_PERMISSIONS, channelPermissions, permissionNames, toApiOverwrite } from './permissions.ts';
import { toApiCommand, toApiMember, toApiMessage, toApiRole } from './serialize.ts';
import { isSnowflake, shardOf } from './snowflake.ts';
import type { ChannelRecord, GuildRecord } from './state.ts';
import type { TrafficCounts } from './traffic.ts';

const snowflake = z.string().refine(isSnowflake, { message: 'must be a snowflake id (a string of digits)' });

/** `POST /_emulator/messages`. */
export const messageSchema = z.strictObject({
	guild_id: snowflake,
	channel_id: snowflake,
	user_id: snowflake,
	content: z.string().min(1).max(2000)
});
/** `POST /_emulator/reactions`. */
export const reactionSchema = z.strictObject({
	guild_id: snowflake,
	channel_id: snowflake,
	message_id: snowflake,
	user_id: snowflake,
	emoji: z.string().min(1).max(100)
});
/** `POST /_emulator/members`. */
export const memberSchema = z
	.strictObject({
		guild_id: snowflake,
		user_id: snowflake.optional(),
		username: z
			.string()
			.regex(/^[a-z0-9_.]{2,32}$/, 'must be 2–32 characters of a-z, 0-9, _ and .')
			.optional()
	})
	.refine((v) => (v.user_id === undefined) !== (v.username === undefined), { message: 'give exactly one of user_id or username' });
/** `POST /_emulator/voice`. */
export const voiceSchema = z.strictObject({
	guild_id: snowflake,
	user_id: snowflake,
	channel_id: snowflake.nullable(),
	self_mute: z.boolean().optional(),
	self_deaf: z.boolean().optional()
});
/** `POST /_emulator/interactions`. */
export const interactionSchema = z.strictObject({
	guild_id: snowflake,
	channel_id: snowflake,
	user_id: snowflake,
	command: z.string().min(1).max(200),
	options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
	autocomplete: z.string().min(1).optional()
});
/** `POST /_emulator/components`. */
export const componentSchema = z.strictObject({
	message_id: snowflake,
	user_id: snowflake,
	custom_id: z.string().min(1).max(100),
	values: z.array(z.string()).max(25).optional()
});
/** `POST /_emulator/faults`. */
export const faultSchema = z.strictObject({
	kind: z.enum([
		'rest_429',
		'rest_500',
		'rest_error',
		'gateway_disconnect',
		'gateway_invalid_session',
		'gateway_refuse_identify',
		'gateway_zombie'
	]),
	count: z.int().min(1).max(10_000).optional(),
	route: z.string().min(1).optional(),
	retry_after: z.number().min(0).max(60).optional(),
	/** `rest_429`: `X-RateLimit-Scope` (`shared` 429s do not count as invalid requests). @default 'user' */
	scope: z.enum(['user', 'shared']).optional(),
	/** `rest_error`: the HTTP status (400–599) and Discord JSON code answered (default 403 / 50001 Missing Access). */
	status: z.int().min(400).max(599).optional(),
	code: z.int().min(0).max(999_999).optional(),
	close_code: z
		.int()
		// 1006 (abnormal closure) cannot be sent: `gateway_disconnect` cuts the TCP connection instead.
		.refine((c) => c === 1000 || c === 1006 || (c >= 3000 && c <= 4999), { message: 'must be 1000, 1006 or 3000–4999' })
		.optional()
});
/** `POST /_emulator/guilds`. */
export const guildSchema = z.strictObject({
	name: z.string().min(2).max(100),
	id: snowflake.optional(),
	owner_id: snowflake.optional(),
	/** false: the bot is not a member (a server it could be invited to). @default true */
	with_bot: z.boolean().optional(),
	/** This many more generated people (`{member_prefix}{n}`) are members already, without join events: a large guild. */
	members: z.int().min(0).max(250_000).optional(),
	member_prefix: z
		.string()
		.regex(/^[a-z0-9_.]{1,20}$/, 'must be 1–20 characters of a-z, 0-9, _ and .')
		.optional(),
	/** The bot joins with a managed role holding these permissions, as an invite link's `permissions` gives it. */
	bot_permissions: z.string().optional()
});
/** A permission bitfield as Discord writes it: a decimal string of known permission bits. */
const permissionBits = z
	.string()
	.regex(/^\d{1,20}$/, 'must be a permission bitfield: a string of decimal digits')
	// zod runs refinements after a failed regex too: only a digit string is worth converting.
	.refine((v) => !/^\d{1,20}$/.test(v) || (BigInt(v) & ~ALL_PERMISSIONS) === 0n, { message: 'has bits that are not Discord permissions' });
const roleName = z.string().min(1).max(100);
const roleColor = z.int().min(0).max(0xffffff);
/** `POST /_emulator/roles`. */
export const roleCreateSchema = z.strictObject({
	guild_id: snowflake,
	name: roleName,
	permissions: permissionBits.optional(),
	position: z.int().min(1).optional(),
	color: roleColor.optional()
});
/** `PATCH /_emulator/roles/:id`. */
export const roleUpdateSchema = z
	.strictObject({
		guild_id: snowflake,
		name: roleName.optional(),
		permissions: permissionBits.optional(),
		position: z.int().min(1).optional(),
		color: roleColor.optional()
	})
	.refine((v) => v.name !== undefined || v.permissions !== undefined || v.position !== undefined || v.color !== undefined, {
		message: 'give at least one of name, permissions, position or color'
	});
/** `PUT /_emulator/channels/:id/permissions/:overwrite_id`: a role (`type` 0, `@everyone` = the guild id) or member (1) overwrite. */
export const overwriteSchema = z.strictObject({
	type: z.union([z.literal(0), z.literal(1)]),
	allow: permissionBits.optional(),
	deny: permissionBits.optional()
});
/** `PUT /_emulator/guilds/:id/commands/:name/permissions`: a server's overrides of who may use a command. */
export const commandPermissionsSchema = z.strictObject({
	permissions: z.array(z.strictObject({ id: snowflake, type: z.union([z.literal(1), z.literal(2)]), permission: z.boolean() })).max(100)
});
/** `PATCH /_emulator/guilds/:id/members/:user_id`: an admin sets a member's roles. */
export const memberUpdateSchema = z.strictObject({ roles: z.array(snowflake).max(250) });
/** `POST /_emulator/reset` takes nothing (an empty object at most). */
export const resetSchema = z.strictObject({});

/** What the control API answers for an interaction or component press. */
export type ControlReply = VisibleReply | { choices: unknown[] } | { modal: unknown };

/** Snapshot of the world for `GET /_emulator/state`. */
export interface EmulatorSnapshot {
	guilds: Array<{
		id: string;
		name: string;
		owner_id: string;
		channels: Array<{ id: string; name: string; type: number; permission_overwrites: ReturnType<typeof toApiOverwrite>[] }>;
		roles: Array<{ id: string; name: string; permissions: string; position: number; color: number }>;
		/** The first 1,000 members (all of them in small guilds); `member_count` says how many there are. */
		members: Array<{ user_id: string; roles: string[]; nick: string | null }>;
		member_count: number;
	}>;
	users: Array<{ id: string; username: string; bot: boolean }>;
	gateway: {
		connected_shards: number[];
		sessions: ReturnType<SandboxContext['gateway']['sessions']>;
		limits: ReturnType<SandboxContext['gateway']['limits']>;
	};
	/** The global REST limit, the invalid-request counter and the ban. */
	rest: ReturnType<SandboxContext['restLimits']['info']>;
	/** How the bot kept the 3-second acknowledgement deadline. */
	interactions: ReturnType<SandboxContext['interactions']['ackStats']>;
	faults: { pending: number };
	/** The bot's REST requests and gateway sends since the start or the last `DELETE /_emulator/traffic`. */
	traffic: TrafficCounts;
}

/** A path segment as an id; a malformed escape (`%zz`) is a bad request, not a crash. */
function decodeId(segment: string | undefined): string {
	try {
		return decodeURIComponent(segment ?? '');
	} catch {
		throw new ControlError(`malformed id in the path: ${segment}`);
	}
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
	const result = schema.safeParse(input);
	if (!result.success) throw new ControlError(z.prettifyError(result.error).replace(/\n\s*/g, '; '));
	return result.data;
}

/**
 * The control API: people acting in the sandbox (posting, reacting, joining, running
 * commands, pressing buttons) plus faults and inspection. Methods validate their input
 * and throw {@link ControlError}; {@link ControlApi.handle} maps that to HTTP.
 */
export class ControlApi {
	readonly #ctx: SandboxContext;
	readonly #reset: () => void;

	constructor(ctx: SandboxContext, reset: () => void) {
		this.#ctx = ctx;
		this.#reset = reset;
	}

	/** A person posts in a channel: MESSAGE_CREATE. Returns the message JSON. */
	sendMessage(input: z.input<typeof messageSchema>): Record<string, unknown> {
		const body = parse(messageSchema, input);
		const { guild } = this.#memberIn(body.guild_id, body.user_id);
		const channel = guild.channels.get(body.channel_id);
		if (!channel || channel.type !== ChannelType.GuildText)
			throw new ControlError(`channel ${body.channel_id} is not a text channel of guild ${guild.id}`);
		this.#requirePermissions(guild, channel, body.user_id, PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages);
		const message = this.#ctx.actions.postMessage(
			{ channelId: channel.id, guildId: guild.id, authorId: body.user_id },
			{ content: body.content }
		);
		return { ...toApiMessage(this.#ctx.state, message), guild_id: guild.id };
	}

	/** A person reacts to a message: MESSAGE_REACTION_ADD. */
	addReaction(input: z.input<typeof reactionSchema>): { ok: true } {
		const body = parse(reactionSchema, input);
		const { guild } = this.#memberIn(body.guild_id, body.user_id);
		const channel = guild.channels.get(body.channel_id);
		if (!channel) throw new ControlError(`channel ${body.channel_id} is not in guild ${guild.id}`);
		this.#requirePermissions(guild, channel, body.user_id, PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory);
		const message = this.#ctx.state.messages.get(body.message_id);
		if (!message || message.channelId !== body.channel_id || message.ephemeral) {
			throw new ControlError(`message ${body.message_id} is not in channel ${body.channel_id}`);
		}
		this.#ctx.actions.addReaction(message, body.user_id, body.emoji);
		return { ok: true };
	}

	/** A user joins a guild (an existing one, or a new user with that name): GUILD_MEMBER_ADD. */
	joinMember(input: z.input<typeof memberSchema>): Record<string, unknown> {
		const body = parse(memberSchema, input);
		const { state, actions } = this.#ctx;
		const guild = this.#guild(body.guild_id);
		let user = body.user_id ? state.users.get(body.user_id) : undefined;
		if (body.user_id && !user) throw new ControlError(`unknown user ${body.user_id}`);
		if (body.username) {
			if (state.findUser(body.username)) throw new ControlError(`username "${body.username}" is taken; pass its user_id to make it join`);
			user = { id: state.ids.next(), username: body.username, globalName: null, bot: false };
			state.users.set(user.id, user);
		}
		if (!user) throw new ControlError('give exactly one of user_id or username');
		if (guild.members.has(user.id)) throw new ControlError(`user ${user.id} is already a member of guild ${guild.id}`);
		actions.joinGuild(guild, user);
		const member = guild.members.get(user.id);
		return member ? { ...toApiMember(state, member), guild_id: guild.id } : {};
	}

	/** A person joins, moves in or leaves (`channel_id: null`) voice: VOICE_STATE_UPDATE. */
	setVoice(input: z.input<typeof voiceSchema>): { ok: true } {
		const body = parse(voiceSchema, input);
		const { guild } = this.#memberIn(body.guild_id, body.user_id);
		if (body.channel_id !== null && guild.channels.get(body.channel_id)?.type !== ChannelType.GuildVoice) {
			throw new ControlError(`channel ${body.channel_id} is not a voice channel of guild ${guild.id}`);
		}
		this.#ctx.actions.setVoiceState(guild, body.user_id, body.channel_id, body.self_mute ?? false, body.self_deaf ?? false);
		return { ok: true };
	}

	/** A person runs a slash command (or autocompletes an option); resolves with the bot's visible answer. */
	async runInteraction(input: z.input<typeof interactionSchema>): Promise<ControlReply> {
		const body = parse(interactionSchema, input);
		const { record, payload } = buildCommandInteraction(this.#ctx.state, this.#ctx.interactions, this.#ctx.applicationId, body);
		return this.#dispatchAndWait(record, payload);
	}

	/** A person presses a button or picks in a select on a bot message; resolves like {@link runInteraction}. */
	async pressComponent(input: z.input<typeof componentSchema>): Promise<ControlReply> {
		const body = parse(componentSchema, input);
		const { record, payload } = buildComponentInteraction(this.#ctx.state, this.#ctx.interactions, this.#ctx.applicationId, body);
		return this.#dispatchAndWait(record, payload);
	}

	/** Messages of a channel, oldest first, with authors. */
	channelMessages(channelId: string): Array<Record<string, unknown>> {
		if (!this.#ctx.state.channels.has(channelId)) throw new ControlError(`unknown channel ${channelId}`);
		return (this.#ctx.state.history.get(channelId) ?? []).map((m) => toApiMessage(this.#ctx.state, m));
	}

	/** Slash commands visible in a guild (global and the guild's own), `guild_id` null for global ones. */
	guildCommands(guildId: string): Array<Record<string, unknown>> {
		this.#guild(guildId);
		return this.#ctx.state
			.commandsVisibleIn(guildId)
			.map((c) => ({ ...toApiCommand(this.#ctx.applicationId, c, false), options: c.options, guild_id: c.guildId }));
	}

	/** Arms REST faults or drops gateway connections now. */
	injectFault(input: z.input<typeof faultSchema>): { ok: true; affected: number } {
		const body = parse(faultSchema, input);
		const count = body.count ?? 1;
		switch (body.kind) {
			case 'rest_429':
			case 'rest_500':
			case 'rest_error':
				this.#ctx.faults.arm({
					kind: body.kind,
					remaining: count,
					route: body.route,
					retryAfter: body.retry_after ?? 0.1,
					...(body.scope ? { scope: body.scope } : {}),
					status: body.status ?? 403,
					code: body.code ?? DiscordErrorCode.MissingAccess
				});
				return { ok: true, affected: count };
			case 'gateway_refuse_identify':
				// The next `count` IDENTIFYs are closed with `close_code` (4000 by default), as a server refusing the bot would.
				this.#ctx.gateway.refuseIdentify(count, body.close_code ?? GatewayCloseCodes.UnknownError);
				return { ok: true, affected: count };
			case 'gateway_disconnect':
				return { ok: true, affected: this.#ctx.gateway.disconnectAll(body.close_code ?? GatewayCloseCodes.UnknownError) };
			case 'gateway_invalid_session':
				return { ok: true, affected: this.#ctx.gateway.invalidateAll() };
			case 'gateway_zombie':
				// The open connections stop getting heartbeat ACKs and events: the client must notice and reconnect.
				return { ok: true, affected: this.#ctx.gateway.zombifyAll() };
		}
	}

	/** Disarms every pending fault (REST faults and refused IDENTIFYs); returns how many were still armed. */
	clearFaults(): { ok: true; affected: number } {
		const affected = this.#ctx.faults.pending() + this.#ctx.gateway.refuseIdentify(0);
		this.#ctx.faults.clear();
		return { ok: true, affected };
	}

	/** Creates another guild with the bot in it: GUILD_CREATE. */
	createGuild(input: z.input<typeof guildSchema>): {
		id: string;
		name: string;
		owner_id: string;
		shard_of_2: number;
		member_count: number;
		bot_role_id: string | null;
		seed_ms: number;
	} {
		const body = parse(guildSchema, input);
		const { state } = this.#ctx;
		const id = body.id ?? state.ids.next();
		if (state.guilds.has(id) || state.channels.has(id) || state.users.has(id)) throw new ControlError(`id ${id} is already in use`);
		const ownerId = body.owner_id ?? [...state.users.values()].find((u) => !u.bot)?.id;
		if (!ownerId || !state.users.has(ownerId)) throw new ControlError(`unknown owner ${body.owner_id}`);
		const withBot = body.with_bot ?? true;
		if (body.bot_permissions !== undefined && !withBot) throw new ControlError('bot_permissions needs with_bot');
		const botPermissions = body.bot_permissions === undefined ? undefined : BigInt(parse(permissionBits, body.bot_permissions));
		const prefix = body.member_prefix ?? `m${id.slice(-6)}_`;
		if (body.members && [...state.users.values()].some((u) => u.username.startsWith(prefix)))
			throw new ControlError(`member_prefix "${prefix}" is already used by some username`);
		let seedMs = 0;
		let botRoleId: string | null = null;
		const guild = this.#ctx.actions.createGuild(id, body.name, ownerId, {
			withBot,
			setup: (created) => {
				if (botPermissions !== undefined) {
					const bot = state.requireUser(this.#ctx.botUserId);
					botRoleId = state.ids.next();
					created.roles.set(botRoleId, {
						id: botRoleId,
						name: bot.username,
						permissions: botPermissions,
						position: 1,
						color: 0,
						hoist: false,
						managed: true,
						mentionable: false,
						botId: bot.id
					});
					created.members.get(bot.id)?.roles.push(botRoleId);
				}
				if (body.members) seedMs = seedMembers(state, created, body.members, prefix).ms;
			}
		});
		return {
			id: guild.id,
			name: guild.name,
			owner_id: guild.ownerId,
			shard_of_2: shardOf(guild.id, 2),
			member_count: guild.members.size,
			bot_role_id: botRoleId,
			seed_ms: Math.round(seedMs)
		};
	}

	/** An admin sets a member's roles (any below nothing: the owner's view): GUILD_MEMBER_UPDATE when they changed. */
	updateMember(guildId: string, userId: string, input: z.input<typeof memberUpdateSchema>): Record<string, unknown> {
		const body = parse(memberUpdateSchema, input);
		const { guild } = this.#memberIn(guildId, userId);
		for (const roleId of body.roles) {
			const role = guild.roles.get(roleId);
			if (!role || role.id === guild.id) throw new ControlError(`role ${roleId} is not a role of guild ${guild.id} (nor @everyone)`);
			if (role.managed) throw new ControlError(`role ${roleId} is managed by an integration`);
		}
		const member = guild.members.get(userId)!;
		const roles = [...new Set(body.roles)];
		const changed = roles.length !== member.roles.length || roles.some((r) => !member.roles.includes(r));
		if (changed) {
			const kept = member.roles.filter((r) => guild.roles.get(r)?.managed);
			member.roles = [...kept, ...roles];
			this.#ctx.gateway.dispatch(
				GatewayDispatchEvents.GuildMemberUpdate,
				{ ...toApiMember(this.#ctx.state, member), guild_id: guild.id },
				{ guildId: guild.id, intent: GatewayIntentBits.GuildMembers }
			);
		}
		return { ...toApiMember(this.#ctx.state, member), guild_id: guild.id };
	}

	/** Starts a new count of the bot's REST requests and gateway sends. */
	resetTraffic(): { ok: true } {
		this.#ctx.traffic.reset();
		return { ok: true };
	}

	/**
	 * An admin creates a role: at `position` (1 = just above `@everyone`, the default; the roles from there up
	 * move up one), GUILD_ROLE_CREATE plus GUILD_ROLE_UPDATE for each role that moved. Returns the role JSON.
	 */
	createRole(input: z.input<typeof roleCreateSchema>): Record<string, unknown> {
		const body = parse(roleCreateSchema, input);
		const guild = this.#guild(body.guild_id);
		const top = guild.roles.size; // roles above @everyone, plus one for the new role
		if (body.position !== undefined && body.position > top) {
			throw new ControlError(`position must be from 1 to ${top} in guild ${guild.id} (1 is just above @everyone)`);
		}
		const role = this.#ctx.actions.createRole(guild, {
			name: body.name,
			permissions: BigInt(body.permissions ?? '0'),
			color: body.color ?? 0,
			hoist: false,
			mentionable: false,
			position: body.position ?? 1
		});
		return { ...toApiRole(role), guild_id: guild.id };
	}

	/**
	 * An admin (the owner: no hierarchy check) edits or moves a role: GUILD_ROLE_UPDATE for it and for every
	 * role whose position changed. `@everyone` can only have its permissions and color changed.
	 */
	updateRole(roleId: string, input: z.input<typeof roleUpdateSchema>): Record<string, unknown> {
		const body = parse(roleUpdateSchema, input);
		const guild = this.#guild(body.guild_id);
		const role = guild.roles.get(roleId);
		if (!role) throw new ControlError(`unknown role ${roleId} in guild ${guild.id}`);
		const top = guild.roles.size - 1;
		if (body.position !== undefined && body.position > top) {
			throw new ControlError(`position must be from 1 to ${top} in guild ${guild.id} (1 is just above @everyone)`);
		}
		if (role.id === guild.id && (body.position !== undefined || body.name !== undefined)) {
			throw new ControlError('@everyone cannot be moved or renamed: only its permissions and color can change');
		}
		this.#ctx.actions.updateRole(guild, role, {
			...(body.name !== undefined ? { name: body.name } : {}),
			...(body.permissions !== undefined ? { permissions: BigInt(body.permissions) } : {}),
			...(body.color !== undefined ? { color: body.color } : {}),
			...(body.position !== undefined ? { position: body.position } : {})
		});
		return { ...toApiRole(role), guild_id: guild.id };
	}

	/**
	 * An admin sets a channel permission overwrite (creating or replacing it) for a role (`type` 0; `@everyone` is
	 * the guild id) or a member (`type` 1): CHANNEL_UPDATE. Returns the channel's overwrites.
	 */
	setChannelOverwrite(channelId: string, overwriteId: string, input: z.input<typeof overwriteSchema>) {
		const body = parse(overwriteSchema, input);
		const { guild, channel } = this.#channel(channelId);
		if (body.type === 0 && !guild.roles.has(overwriteId)) throw new ControlError(`unknown role ${overwriteId} in guild ${guild.id}`);
		if (body.type === 1 && !guild.members.has(overwriteId))
			throw new ControlError(`user ${overwriteId} is not a member of guild ${guild.id}`);
		const allow = BigInt(body.allow ?? '0');
		const deny = BigInt(body.deny ?? '0');
		if ((allow & deny) !== 0n) throw new ControlError(`allow and deny both hold ${permissionNames(allow & deny).join(', ')}`);
		setOverwrite(this.#ctx.gateway, guild, channel, { id: overwriteId, type: body.type, allow, deny });
		return { channel_id: channel.id, permission_overwrites: channel.overwrites.map(toApiOverwrite) };
	}

	/** An admin removes a channel permission overwrite: CHANNEL_UPDATE. */
	deleteChannelOverwrite(channelId: string, overwriteId: string) {
		const { guild, channel } = this.#channel(channelId);
		if (!deleteOverwrite(this.#ctx.gateway, guild, channel, overwriteId))
			throw new ControlError(`channel ${channelId} has no overwrite for ${overwriteId}`, 404);
		return { channel_id: channel.id, permission_overwrites: channel.overwrites.map(toApiOverwrite) };
	}

	/**
	 * A server admin overrides who may use a command (Server Settings → Integrations): user (`type` 2) and role
	 * (`type` 1, `@everyone` = the guild id) entries replace the command's `default_member_permissions` for them.
	 */
	setCommandPermissions(guildId: string, name: string, input: z.input<typeof commandPermissionsSchema>) {
		const body = parse(commandPermissionsSchema, input);
		const guild = this.#guild(guildId);
		const command = this.#ctx.state.commandsVisibleIn(guild.id).find((c) => c.name === name && c.type === 1);
		if (!command) throw new ControlError(`unknown command "${name}" in guild ${guild.id}`, 404);
		for (const entry of body.permissions) {
			if (entry.type === 1 && !guild.roles.has(entry.id)) throw new ControlError(`unknown role ${entry.id} in guild ${guild.id}`);
			if (entry.type === 2 && !this.#ctx.state.users.has(entry.id)) throw new ControlError(`unknown user ${entry.id}`);
		}
		this.#ctx.state.commandOverrides.set(`${guild.id}:${command.id}`, body.permissions);
		return { guild_id: guild.id, command_id: command.id, permissions: body.permissions };
	}

	/** Restores the seed. */
	reset(input: unknown = {}): { ok: true } {
		parse(resetSchema, input);
		this.#reset();
		return { ok: true };
	}

	/** Names and ids of everything, plus gateway sessions. */
	snapshot(): EmulatorSnapshot {
		const { state, gateway, faults, restLimits, interactions } = this.#ctx;
		return {
			guilds: [...state.guilds.values()].map((g) => ({
				id: g.id,
				name: g.name,
				owner_id: g.ownerId,
				channels: [...g.channels.values()].map((c) => ({
					id: c.id,
					name: c.name,
					type: c.type,
					permission_overwrites: c.overwrites.map(toApiOverwrite)
				})),
				roles: [...g.roles.values()]
					.sort((a, b) => a.position - b.position)
					.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions.toString(), position: r.position, color: r.color })),
				members: [...g.members.values()].slice(0, 1000).map((m) => ({ user_id: m.userId, roles: [...m.roles], nick: m.nick })),
				member_count: g.members.size
			})),
			users: [...state.users.values()].map((u) => ({ id: u.id, username: u.username, bot: u.bot })),
			gateway: { connected_shards: gateway.connectedShards(), sessions: gateway.sessions(), limits: gateway.limits() },
			rest: restLimits.info(this.#ctx.now()),
			interactions: interactions.ackStats(),
			faults: { pending: faults.pending() },
			traffic: this.#ctx.traffic.counts()
		};
	}

	/** HTTP entry for `/_emulator/...`; `path` is what follows `/_emulator`. */
	async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
		const method = (req.method ?? 'GET').toUpperCase();
		try {
			const raw = await readRaw(req);
			const body = (): unknown => {
				const text = raw.toString('utf8');
				if (text.trim() === '') return method === 'POST' && path === '/reset' ? {} : undefined;
				try {
					return JSON.parse(text);
				} catch {
					throw new ControlError('body is not valid JSON');
				}
			};
			const channelMessages = /^\/channels\/([^/]+)\/messages$/.exec(path);
			const guildCommands = /^\/guilds\/([^/]+)\/commands$/.exec(path);
			const role = /^\/roles\/([^/]+)$/.exec(path);
			const overwrite = /^\/channels\/([^/]+)\/permissions\/([^/]+)$/.exec(path);
			const member = /^\/guilds\/([^/]+)\/members\/([^/]+)$/.exec(path);
			const commandPermissions = /^\/guilds\/([^/]+)\/commands\/([^/]+)\/permissions$/.exec(path);
			const template = member
				? '/guilds/:id/members/:user_id'
				: commandPermissions
					? '/guilds/:id/commands/:name/permissions'
					: channelMessages
						? '/channels/:id/messages'
						: guildCommands
							? '/guilds/:id/commands'
							: role
								? '/roles/:id'
								: overwrite
									? '/channels/:id/permissions/:overwrite_id'
									: path;
			const route = `${method} ${template}`;
			switch (route) {
				case 'POST /messages':
					return sendJson(res, 201, this.sendMessage(body() as never));
				case 'POST /reactions':
					return sendJson(res, 200, this.addReaction(body() as never));
				case 'POST /members':
					return sendJson(res, 201, this.joinMember(body() as never));
				case 'POST /voice':
					return sendJson(res, 200, this.setVoice(body() as never));
				case 'POST /interactions':
					return sendJson(res, 200, await this.runInteraction(body() as never));
				case 'POST /components':
					return sendJson(res, 200, await this.pressComponent(body() as never));
				case 'POST /faults':
					return sendJson(res, 200, this.injectFault(body() as never));
				case 'DELETE /faults':
					return sendJson(res, 200, this.clearFaults());
				case 'POST /guilds':
					return sendJson(res, 201, this.createGuild(body() as never));
				case 'POST /roles':
					return sendJson(res, 201, this.createRole(body() as never));
				case 'PATCH /roles/:id':
					return sendJson(res, 200, this.updateRole(decodeId(role?.[1]), body() as never));
				case 'PUT /channels/:id/permissions/:overwrite_id':
					return sendJson(res, 200, this.setChannelOverwrite(decodeId(overwrite?.[1]), decodeId(overwrite?.[2]), body() as never));
				case 'DELETE /channels/:id/permissions/:overwrite_id':
					return sendJson(res, 200, this.deleteChannelOverwrite(decodeId(overwrite?.[1]), decodeId(overwrite?.[2])));
				case 'PUT /guilds/:id/commands/:name/permissions':
					return sendJson(
						res,
						200,
						this.setCommandPermissions(decodeId(commandPermissions?.[1]), decodeId(commandPermissions?.[2]), body() as never)
					);
				case 'PATCH /guilds/:id/members/:user_id':
					return sendJson(res, 200, this.updateMember(decodeId(member?.[1]), decodeId(member?.[2]), body() as never));
				case 'DELETE /traffic':
					return sendJson(res, 200, this.resetTraffic());
				case 'POST /reset':
					return sendJson(res, 200, this.reset(body()));
				case 'GET /state':
					return sendJson(res, 200, this.snapshot());
				case 'GET /channels/:id/messages':
					return sendJson(res, 200, this.channelMessages(decodeId(channelMessages?.[1])));
				case 'GET /guilds/:id/commands':
					return sendJson(res, 200, this.guildCommands(decodeId(guildCommands?.[1])));
				default:
					return sendJson(res, 404, { error: `no control route ${method} /_emulator${path}` });
			}
		} catch (error) {
			if (error instanceof ControlError) return sendJson(res, error.status, { error: error.message });
			if (error instanceof RestError) return sendJson(res, 400, { error: error.message });
			this.#ctx.logger.error({ err: error, path }, 'sandbox control route failed');
			return sendJson(res, 500, { error: 'internal emulator error' });
		}
	}

	async #dispatchAndWait(record: InteractionRecord, payload: Record<string, unknown>): Promise<ControlReply> {
		const { gateway, settings } = this.#ctx;
		if (!gateway.hasSessionFor(record.guildId)) {
			throw new ControlError(`no bot session is connected for guild ${record.guildId}: start the bot first`, 503);
		}
		gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload, { guildId: record.guildId });
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new ControlError('the bot did not answer in time', 504)), settings.replyTimeoutMs);
			// A pending wait must not keep a test process alive after the emulator stopped.
			timer.unref();
		});
		try {
			const outcome: InteractionOutcome = await Promise.race([record.outcome, timeout]);
			if (outcome.kind === 'message') return outcome.reply;
			if (outcome.kind === 'choices') return { choices: outcome.choices };
			return { modal: outcome.modal };
		} finally {
			clearTimeout(timer);
		}
	}

	#guild(id: string) {
		const guild = this.#ctx.state.guilds.get(id);
		if (!guild) throw new ControlError(`unknown guild ${id}`);
		return guild;
	}

	#channel(channelId: string) {
		const channel = this.#ctx.state.channels.get(channelId);
		if (!channel) throw new ControlError(`unknown channel ${channelId}`);
		return { channel, guild: this.#guild(channel.guildId) };
	}

	/** A person's client does not let them act in a channel without these permissions there: 403 saying which are missing. */
	#requirePermissions(guild: GuildRecord, channel: ChannelRecord, userId: string, needs: bigint): void {
		const missing = needs & ~channelPermissions(guild, channel, userId);
		if (missing !== 0n) throw new ControlError(`user ${userId} lacks ${permissionNames(missing).join(', ')} in #${channel.name}`, 403);
	}

	#memberIn(guildId: string, userId: string) {
		const guild = this.#guild(guildId);
		if (!this.#ctx.state.users.has(userId)) throw new ControlError(`unknown user ${userId}`);
		if (!guild.members.has(userId)) throw new ControlError(`user ${userId} is not a member of guild ${guildId}`);
		return { guild };
	}
}
