import { randomBytes } from 'node:crypto';
import { ChannelType, GatewayDispatchEvents, GatewayIntentBits, MessageFlags } from 'discord-api-types/v10';
import { Errors } from './errors.ts';
import type { Gateway } from './gateway.ts';
import type { MessageInput } from './messages.ts';
import { applyEdit, buildMessage } from './messages.ts';
import { canManageRole } from './permissions.ts';
import { EVERYONE_PERMISSIONS } from './seed.ts';
import { toApiMember, toApiMessage, toApiRole, toApiVoiceState, toGatewayGuildCreate } from './serialize.ts';
import type { GuildRecord, MessageRecord, RoleRecord, SandboxState, UserRecord } from './state.ts';

/** What a new role is made of; `position` 1 is just above `@everyone`. */
export interface RoleInput {
	name: string;
	permissions: bigint;
	color: number;
	hoist: boolean;
	mentionable: boolean;
	position: number;
}

/** Changes to a role; `position` moves it, shifting the roles in between like Discord does. */
export type RoleChanges = Partial<RoleInput>;

/**
 * Everything that changes the Discord world and the gateway events it causes.
 * REST handlers (the bot acting) and the control API (people acting) both go
 * through here, so an action always produces the same dispatches as on Discord.
 */
export class SandboxActions {
	readonly #state: SandboxState;
	readonly #gateway: Gateway;

	constructor(state: SandboxState, gateway: Gateway) {
		this.#state = state;
		this.#gateway = gateway;
	}

	/** Stores a message and dispatches MESSAGE_CREATE (ephemeral ones stay private to the interaction). */
	postMessage(
		fields: { channelId: string; guildId: string | null; authorId: string; type?: number; ephemeral?: boolean },
		input: MessageInput,
		extra: Partial<Pick<MessageRecord, 'interaction' | 'webhookId' | 'applicationId'>> = {}
	): MessageRecord {
		const message = { ...buildMessage(this.#state, fields, input), ...extra };
		if (message.ephemeral) message.flags |= MessageFlags.Ephemeral;
		this.#state.storeMessage(message);
		if (!message.ephemeral) this.#dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
		return message;
	}

	/** Edits a message and dispatches MESSAGE_UPDATE. */
	editMessage(message: MessageRecord, input: MessageInput): MessageRecord {
		applyEdit(this.#state, message, input);
		if (!message.ephemeral) this.#dispatchMessage(GatewayDispatchEvents.MessageUpdate, message);
		return message;
	}

	/** Clears the "thinking…" state of a deferred reply (the first edit or follow-up does this on Discord). */
	finishLoading(message: MessageRecord): void {
		message.flags &= ~MessageFlags.Loading;
	}

	/** Deletes a message and dispatches MESSAGE_DELETE. */
	deleteMessage(message: MessageRecord): void {
		this.#state.deleteMessage(message);
		if (message.ephemeral) return;
		this.#gateway.dispatch(
			GatewayDispatchEvents.MessageDelete,
			{ id: message.id, channel_id: message.channelId, ...(message.guildId ? { guild_id: message.guildId } : {}) },
			{ guildId: message.guildId, intent: GatewayIntentBits.GuildMessages }
		);
	}

	/** Adds a reaction and dispatches MESSAGE_REACTION_ADD. */
	addReaction(message: MessageRecord, userId: string, emojiText: string): void {
		const emoji = parseEmoji(emojiText);
		const key = emoji.id ?? emoji.name;
		let reaction = message.reactions.get(key);
		if (!reaction) {
			reaction = { emoji, userIds: new Set() };
			message.reactions.set(key, reaction);
		}
		reaction.userIds.add(userId);
		const guild = message.guildId ? this.#state.guilds.get(message.guildId) : undefined;
		const member = guild?.members.get(userId);
		this.#gateway.dispatch(
			GatewayDispatchEvents.MessageReactionAdd,
			{
				user_id: userId,
				channel_id: message.channelId,
				message_id: message.id,
				...(message.guildId ? { guild_id: message.guildId } : {}),
				...(guild && member ? { member: toApiMember(this.#state, member) } : {}),
				emoji,
				message_author_id: message.authorId,
				burst: false,
				burst_colors: [],
				type: 0
			},
			{ guildId: message.guildId, intent: GatewayIntentBits.GuildMessageReactions }
		);
	}

	/** Adds a user to a guild and dispatches GUILD_MEMBER_ADD. */
	joinGuild(guild: GuildRecord, user: UserRecord): void {
		const member = { userId: user.id, roles: [], nick: null, joinedAt: new Date().toISOString() };
		guild.members.set(user.id, member);
		this.#gateway.dispatch(
			GatewayDispatchEvents.GuildMemberAdd,
			{ ...toApiMember(this.#state, member), guild_id: guild.id },
			{ guildId: guild.id, intent: GatewayIntentBits.GuildMembers }
		);
	}

	/**
	 * Adds or removes a role as `actorId` (the bot), enforcing Manage Roles and the role
	 * hierarchy (50013 otherwise). Dispatches GUILD_MEMBER_UPDATE only when something changed.
	 */
	setMemberRole(guild: GuildRecord, userId: string, roleId: string, add: boolean, actorId: string): void {
		const member = this.#state.requireMember(guild, userId);
		if (!guild.roles.has(roleId)) throw Errors.unknownRole();
		if (!canManageRole(guild, actorId, roleId)) throw Errors.missingPermissions();
		const has = member.roles.includes(roleId);
		if (has === add) return;
		member.roles = add ? [...member.roles, roleId] : member.roles.filter((id) => id !== roleId);
		this.#gateway.dispatch(
			GatewayDispatchEvents.GuildMemberUpdate,
			{ ...toApiMember(this.#state, member), guild_id: guild.id },
			{ guildId: guild.id, intent: GatewayIntentBits.GuildMembers }
		);
	}

	/**
	 * Creates a role at `position` (clamped to 1 … top + 1; the roles from there up move up one) and dispatches
	 * GUILD_ROLE_CREATE, then GUILD_ROLE_UPDATE for every role that moved.
	 */
	createRole(guild: GuildRecord, input: RoleInput): RoleRecord {
		const role: RoleRecord = {
			id: this.#state.ids.next(),
			name: input.name,
			permissions: input.permissions,
			position: 0,
			color: input.color,
			hoist: input.hoist,
			mentionable: input.mentionable,
			managed: false
		};
		const before = rolePositions(guild);
		guild.roles.set(role.id, role);
		placeRole(guild, role, input.position);
		this.#dispatchRole(guild, GatewayDispatchEvents.GuildRoleCreate, role);
		for (const moved of movedRoles(guild, before)) this.#dispatchRole(guild, GatewayDispatchEvents.GuildRoleUpdate, moved);
		return role;
	}

	/**
	 * Edits a role and, with `position`, moves it (clamped to 1 … top; the roles in between shift by one, as a
	 * drag in Discord's role list does). Dispatches GUILD_ROLE_UPDATE for the role when anything changed and for
	 * every other role whose position changed. `@everyone` stays at position 0.
	 */
	updateRole(guild: GuildRecord, role: RoleRecord, changes: RoleChanges): RoleRecord {
		const before = rolePositions(guild);
		const edited =
			(changes.name !== undefined && changes.name !== role.name) ||
			(changes.permissions !== undefined && changes.permissions !== role.permissions) ||
			(changes.color !== undefined && changes.color !== role.color) ||
			(changes.hoist !== undefined && changes.hoist !== role.hoist) ||
			(changes.mentionable !== undefined && changes.mentionable !== role.mentionable);
		if (changes.name !== undefined) role.name = changes.name;
		if (changes.permissions !== undefined) role.permissions = changes.permissions;
		if (changes.color !== undefined) role.color = changes.color;
		if (changes.hoist !== undefined) role.hoist = changes.hoist;
		if (changes.mentionable !== undefined) role.mentionable = changes.mentionable;
		if (changes.position !== undefined && role.id !== guild.id) placeRole(guild, role, changes.position);
		const moved = movedRoles(guild, before);
		if (edited && !moved.includes(role)) this.#dispatchRole(guild, GatewayDispatchEvents.GuildRoleUpdate, role);
		for (const other of moved) this.#dispatchRole(guild, GatewayDispatchEvents.GuildRoleUpdate, other);
		return role;
	}

	/** Moves a member into a voice channel (or out with `null`) and dispatches VOICE_STATE_UPDATE. */
	setVoiceState(guild: GuildRecord, userId: string, channelId: string | null, selfMute: boolean, selfDeaf: boolean): void {
		const previous = guild.voiceStates.get(userId);
		const sessionId = previous?.sessionId ?? randomBytes(16).toString('hex');
		const voice = { userId, channelId, selfMute, selfDeaf, sessionId };
		if (channelId === null) guild.voiceStates.delete(userId);
		else guild.voiceStates.set(userId, { ...voice, channelId });
		this.#gateway.dispatch(GatewayDispatchEvents.VoiceStateUpdate, toApiVoiceState(this.#state, guild, voice), {
			guildId: guild.id,
			intent: GatewayIntentBits.GuildVoiceStates
		});
	}

	/** Creates a guild (owner + bot as members, a #general channel) and dispatches GUILD_CREATE; `withBot: false` leaves the bot out. */
	createGuild(
		id: string,
		name: string,
		ownerId: string,
		{ withBot = true, setup }: { withBot?: boolean; setup?: (guild: GuildRecord) => void } = {}
	): GuildRecord {
		const guild = this.#state.addGuild(id, name, ownerId);
		// A new server's @everyone has Discord's defaults (view, chat, react, …), as the seed's has.
		const everyone = guild.roles.get(guild.id);
		if (everyone) everyone.permissions = EVERYONE_PERMISSIONS;
		const now = new Date().toISOString();
		for (const userId of new Set(withBot ? [ownerId, this.#state.botUserId] : [ownerId]))
			guild.members.set(userId, { userId, roles: [], nick: null, joinedAt: now });
		this.#state.addChannel({
			id: this.#state.ids.next(),
			guildId: id,
			name: 'general',
			type: ChannelType.GuildText,
			position: 0,
			topic: null,
			lastMessageId: null,
			overwrites: []
		});
		setup?.(guild);
		// A bot hears of a guild only by being in it.
		if (withBot) {
			this.#gateway.dispatch(GatewayDispatchEvents.GuildCreate, null, {
				guildId: id,
				intent: GatewayIntentBits.Guilds,
				perSession: (view) => toGatewayGuildCreate(this.#state, guild, view)
			});
		}
		return guild;
	}

	#dispatchRole(
		guild: GuildRecord,
		event: GatewayDispatchEvents.GuildRoleCreate | GatewayDispatchEvents.GuildRoleUpdate,
		role: RoleRecord
	): void {
		this.#gateway.dispatch(event, { guild_id: guild.id, role: toApiRole(role) }, { guildId: guild.id, intent: GatewayIntentBits.Guilds });
	}

	#dispatchMessage(event: GatewayDispatchEvents.MessageCreate | GatewayDispatchEvents.MessageUpdate, message: MessageRecord): void {
		const guild = message.guildId ? this.#state.guilds.get(message.guildId) : undefined;
		const member = guild?.members.get(message.authorId);
		const payload: Record<string, unknown> = { ...toApiMessage(this.#state, message) };
		if (message.guildId) payload.guild_id = message.guildId;
		if (member && !message.webhookId) {
			// Gateway messages carry the author's member object without its user.
			const { user: _user, ...partial } = toApiMember(this.#state, member);
			payload.member = partial;
		}
		this.#gateway.dispatch(event, payload, { guildId: message.guildId, intent: GatewayIntentBits.GuildMessages, messageContent: true });
	}
}

/** Roles above `@everyone`, lowest first (ties by id, as Discord sorts them). */
function rolesAboveEveryone(guild: GuildRecord): RoleRecord[] {
	return [...guild.roles.values()]
		.filter((r) => r.id !== guild.id)
		.sort((a, b) => a.position - b.position || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

/** Puts `role` at `position` among the roles above `@everyone` (clamped) and renumbers them 1 … n. */
function placeRole(guild: GuildRecord, role: RoleRecord, position: number): void {
	const others = rolesAboveEveryone(guild).filter((r) => r !== role);
	const index = Math.min(Math.max(Math.trunc(position), 1), others.length + 1) - 1;
	others.splice(index, 0, role);
	others.forEach((r, i) => {
		r.position = i + 1;
	});
}

function rolePositions(guild: GuildRecord): Map<string, number> {
	return new Map([...guild.roles.values()].map((r) => [r.id, r.position]));
}

function movedRoles(guild: GuildRecord, before: Map<string, number>): RoleRecord[] {
	return [...guild.roles.values()].filter((r) => before.has(r.id) && before.get(r.id) !== r.position);
}

/** Parses an emoji as typed: a unicode emoji, `name:id` or `<:name:id>` for custom ones. */
export function parseEmoji(text: string): { id: string | null; name: string } {
	const custom = /^<?a?:?([\w~]{2,32}):(\d{17,20})>?$/.exec(text);
	if (custom) return { id: custom[2] ?? null, name: custom[1] ?? text };
	return { id: null, name: text };
}
