import type { ChannelType } from 'discord-api-types/v10';
import { Errors } from './errors.ts';
import type { SeedData } from './seed.ts';
import { SnowflakeGenerator } from './snowflake.ts';

/** A user known to the emulator (people and the bot). */
/**
 * How long a nonce is remembered for `enforce_nonce`. Discord documents "the past few minutes" without a number; the
 * emulator keeps five.
 */
export const NONCE_WINDOW_MS = 5 * 60_000;

export interface UserRecord {
	id: string;
	username: string;
	globalName: string | null;
	bot: boolean;
}

/** A guild role; `permissions` is kept as a bigint so permission math stays exact. */
export interface RoleRecord {
	id: string;
	name: string;
	permissions: bigint;
	position: number;
	color: number;
	hoist: boolean;
	managed: boolean;
	mentionable: boolean;
	botId?: string;
}

/** A channel permission overwrite: `type` 0 for a role (`@everyone` has the guild's id), 1 for a member. */
export interface OverwriteRecord {
	id: string;
	type: 0 | 1;
	allow: bigint;
	deny: bigint;
}

/** A guild channel (text or voice). */
export interface ChannelRecord {
	id: string;
	guildId: string;
	name: string;
	type: ChannelType.GuildText | ChannelType.GuildVoice;
	position: number;
	topic: string | null;
	lastMessageId: string | null;
	/** Permission overwrites, applied by `channelPermissions` (permissions.ts). */
	overwrites: OverwriteRecord[];
}

/** A guild membership. */
export interface MemberRecord {
	userId: string;
	roles: string[];
	nick: string | null;
	joinedAt: string;
}

/** Where a member sits in voice. */
export interface VoiceStateRecord {
	userId: string;
	channelId: string;
	selfMute: boolean;
	selfDeaf: boolean;
	sessionId: string;
}

/** A guild and everything in it. */
export interface GuildRecord {
	id: string;
	name: string;
	ownerId: string;
	createdAt: string;
	roles: Map<string, RoleRecord>;
	channels: Map<string, ChannelRecord>;
	members: Map<string, MemberRecord>;
	voiceStates: Map<string, VoiceStateRecord>;
}

/** Who reacted with one emoji on a message. */
export interface ReactionRecord {
	emoji: { id: string | null; name: string };
	userIds: Set<string>;
}

/** The interaction a bot message answers, shown as `interaction_metadata`. */
export interface MessageInteractionRef {
	id: string;
	type: number;
	name: string;
	userId: string;
}

/** A message, in a guild channel or only visible to one user (ephemeral interaction replies). */
export interface MessageRecord {
	id: string;
	channelId: string;
	guildId: string | null;
	authorId: string;
	content: string;
	embeds: unknown[];
	components: unknown[];
	attachments: Array<{ id: string; filename: string; size: number; contentType?: string }>;
	flags: number;
	type: number;
	tts: boolean;
	timestamp: string;
	editedTimestamp: string | null;
	mentionUserIds: string[];
	mentionRoleIds: string[];
	mentionEveryone: boolean;
	pinned: boolean;
	reactions: Map<string, ReactionRecord>;
	interaction?: MessageInteractionRef;
	webhookId?: string;
	applicationId?: string;
	nonce?: string | number;
	/** Ephemeral messages are kept out of channel history, as on Discord. */
	ephemeral: boolean;
}

/** An option of a registered application command, stored as validated API JSON. */
export interface CommandOption {
	type: number;
	name: string;
	description: string;
	required?: boolean;
	choices?: Array<{ name: string; value: string | number; name_localizations?: Record<string, string> | null }>;
	options?: CommandOption[];
	channel_types?: number[];
	min_value?: number;
	max_value?: number;
	min_length?: number;
	max_length?: number;
	autocomplete?: boolean;
	name_localizations?: Record<string, string> | null;
	description_localizations?: Record<string, string> | null;
}

/** A registered application command, global (`guildId` null) or guild-scoped. */
export interface CommandRecord {
	id: string;
	guildId: string | null;
	version: string;
	type: number;
	name: string;
	description: string;
	options: CommandOption[];
	defaultMemberPermissions: string | null;
	dmPermission: boolean;
	nsfw: boolean;
	contexts: number[] | null;
	integrationTypes: number[] | null;
	nameLocalizations: Record<string, string> | null;
	descriptionLocalizations: Record<string, string> | null;
}

/**
 * A guild's override of who may use a command (Server Settings → Integrations; Discord's application command
 * permissions): `type` 1 a role (`@everyone` is the guild id), 2 a user; `permission` allows or denies.
 */
export interface CommandOverride {
	id: string;
	type: 1 | 2;
	permission: boolean;
}

/**
 * The emulator's whole Discord world, in memory. Lookups throw Discord-shaped
 * {@link RestError}s so REST handlers can stay linear.
 */
export class SandboxState {
	readonly ids = new SnowflakeGenerator();
	readonly users = new Map<string, UserRecord>();
	readonly guilds = new Map<string, GuildRecord>();
	/** Every guild channel by id, so `/channels/{id}` does not scan guilds. */
	readonly channels = new Map<string, ChannelRecord>();
	/** Channel history, oldest first (ids are increasing). */
	readonly history = new Map<string, MessageRecord[]>();
	/** Every message by id, ephemeral ones included. */
	readonly messages = new Map<string, MessageRecord>();
	readonly commands = new Map<string, CommandRecord>();
	/** Command permission overrides by `guildId:commandId`. */
	readonly commandOverrides = new Map<string, CommandOverride[]>();
	/** Recent messages by `channel:author:nonce`, for `enforce_nonce` (kept {@link NONCE_WINDOW_MS}). */
	readonly #nonces = new Map<string, { messageId: string; at: number }>();
	readonly botUserId: string;

	constructor(botUserId: string) {
		this.botUserId = botUserId;
	}

	/** Drops everything and loads `seed`. */
	load(seed: SeedData): void {
		this.users.clear();
		this.guilds.clear();
		this.channels.clear();
		this.history.clear();
		this.messages.clear();
		this.commands.clear();
		this.commandOverrides.clear();
		this.#nonces.clear();
		for (const user of seed.users) this.users.set(user.id, { ...user });
		const g = seed.guild;
		const joinedAt = new Date(g.createdAtMs).toISOString();
		const guild = this.addGuild(g.id, g.name, g.ownerId, g.createdAtMs);
		guild.roles.clear();
		for (const role of g.roles) {
			guild.roles.set(role.id, { hoist: false, mentionable: false, ...role });
		}
		for (const channel of g.channels) {
			this.addChannel({ ...channel, guildId: g.id, lastMessageId: null, overwrites: (channel.overwrites ?? []).map((o) => ({ ...o })) });
		}
		guild.members.clear();
		for (const member of g.members)
			guild.members.set(member.userId, { userId: member.userId, roles: [...member.roles], nick: null, joinedAt });
	}

	/** Creates a guild with only an `@everyone` role and the bot as member. */
	addGuild(id: string, name: string, ownerId: string, createdAtMs = Date.now()): GuildRecord {
		const guild: GuildRecord = {
			id,
			name,
			ownerId,
			createdAt: new Date(createdAtMs).toISOString(),
			roles: new Map([
				[id, { id, name: '@everyone', permissions: 0n, position: 0, color: 0, hoist: false, managed: false, mentionable: false }]
			]),
			channels: new Map(),
			members: new Map(),
			voiceStates: new Map()
		};
		this.guilds.set(id, guild);
		return guild;
	}

	/** Adds a channel to its guild and to the channel index. */
	addChannel(channel: ChannelRecord): void {
		this.requireGuild(channel.guildId).channels.set(channel.id, channel);
		this.channels.set(channel.id, channel);
		this.history.set(channel.id, []);
	}

	/** The guild or 10004 Unknown Guild. */
	requireGuild(id: string): GuildRecord {
		const guild = this.guilds.get(id);
		if (!guild) throw Errors.unknownGuild();
		return guild;
	}

	/** The channel or 10003 Unknown Channel. */
	requireChannel(id: string): ChannelRecord {
		const channel = this.channels.get(id);
		if (!channel) throw Errors.unknownChannel();
		return channel;
	}

	/** The user or 10013 Unknown User. */
	requireUser(id: string): UserRecord {
		const user = this.users.get(id);
		if (!user) throw Errors.unknownUser();
		return user;
	}

	/** The guild member or 10007 Unknown Member. */
	requireMember(guild: GuildRecord, userId: string): MemberRecord {
		const member = guild.members.get(userId);
		if (!member) throw Errors.unknownMember();
		return member;
	}

	/** The message in that channel (ephemeral ones excluded) or 10008 Unknown Message. */
	requireChannelMessage(channelId: string, messageId: string): MessageRecord {
		const message = this.messages.get(messageId);
		if (!message || message.channelId !== channelId || message.ephemeral) throw Errors.unknownMessage();
		return message;
	}

	/** Stores a new message; non-ephemeral ones join the channel history. */
	storeMessage(message: MessageRecord): void {
		this.messages.set(message.id, message);
		if (message.ephemeral) return;
		this.history.get(message.channelId)?.push(message);
		const channel = this.channels.get(message.channelId);
		if (channel) channel.lastMessageId = message.id;
	}

	/**
	 * The message an author created in a channel with this nonce within the last {@link NONCE_WINDOW_MS}, if it still
	 * exists: what Discord answers instead of creating a second message when `enforce_nonce` is true.
	 */
	messageByNonce(channelId: string, authorId: string, nonce: string | number, now = Date.now()): MessageRecord | undefined {
		const key = `${channelId}:${authorId}:${nonce}`;
		const seen = this.#nonces.get(key);
		if (!seen) return undefined;
		if (now - seen.at > NONCE_WINDOW_MS) {
			this.#nonces.delete(key);
			return undefined;
		}
		return this.messages.get(seen.messageId);
	}

	/** Remembers a created message's nonce for {@link messageByNonce}; forgets expired ones now and then. */
	rememberNonce(message: MessageRecord, now = Date.now()): void {
		if (message.nonce === undefined) return;
		if (this.#nonces.size > 10_000) {
			for (const [key, seen] of this.#nonces) if (now - seen.at > NONCE_WINDOW_MS) this.#nonces.delete(key);
		}
		this.#nonces.set(`${message.channelId}:${message.authorId}:${message.nonce}`, { messageId: message.id, at: now });
	}

	/** Removes a message from the index and its channel history. */
	deleteMessage(message: MessageRecord): void {
		this.messages.delete(message.id);
		const list = this.history.get(message.channelId);
		if (!list) return;
		const index = list.indexOf(message);
		if (index !== -1) list.splice(index, 1);
	}

	/** Finds a user by id or (case-insensitive) username. */
	findUser(idOrName: string): UserRecord | undefined {
		const byId = this.users.get(idOrName);
		if (byId) return byId;
		const lower = idOrName.toLowerCase();
		for (const user of this.users.values()) if (user.username.toLowerCase() === lower) return user;
		return undefined;
	}

	/** Commands visible in a guild: that guild's ones plus the global ones. */
	commandsVisibleIn(guildId: string): CommandRecord[] {
		return [...this.commands.values()].filter((c) => c.guildId === null || c.guildId === guildId);
	}

	/** Commands of one scope (global when `guildId` is null). */
	commandsOf(guildId: string | null): CommandRecord[] {
		return [...this.commands.values()].filter((c) => c.guildId === guildId);
	}
}
