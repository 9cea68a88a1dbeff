import { randomBytes } from 'node:crypto';
import { ChannelType, GatewayDispatchEvents, GatewayIntentBits, MessageFlags } from 'discord-api-types/v10';
import { Errors } from './errors.ts';
import type { Gateway } from './gateway.ts';
import type { MessageInput } from './messages.ts';
import { applyEdit, buildMessage } from './messages.ts';
import { canManageRole } from './permissions.ts';
import { toApiMember, toApiMessage, toApiVoiceState, toGatewayGuildCreate } from './serialize.ts';
import type { GuildRecord, MessageRecord, SandboxState, UserRecord } from './state.ts';

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

	/** Creates a guild (owner + bot as members, a #general channel) and dispatches GUILD_CREATE. */
	createGuild(id: string, name: string, ownerId: string): GuildRecord {
		const guild = this.#state.addGuild(id, name, ownerId);
		const now = new Date().toISOString();
		for (const userId of new Set([ownerId, this.#state.botUserId]))
			guild.members.set(userId, { userId, roles: [], nick: null, joinedAt: now });
		this.#state.addChannel({
			id: this.#state.ids.next(),
			guildId: id,
			name: 'general',
			type: ChannelType.GuildText,
			position: 0,
			topic: null,
			lastMessageId: null
		});
		this.#gateway.dispatch(GatewayDispatchEvents.GuildCreate, toGatewayGuildCreate(this.#state, guild), {
			guildId: id,
			intent: GatewayIntentBits.Guilds
		});
		return guild;
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

/** Parses an emoji as typed: a unicode emoji, `name:id` or `<:name:id>` for custom ones. */
export function parseEmoji(text: string): { id: string | null; name: string } {
	const custom = /^<?a?:?([\w~]{2,32}):(\d{17,20})>?$/.exec(text);
	if (custom) return { id: custom[2] ?? null, name: custom[1] ?? text };
	return { id: null, name: text };
}
