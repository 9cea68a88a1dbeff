import type {
	APIApplicationCommand,
	APIApplicationCommandOption,
	APIGuildChannel,
	APIGuildMember,
	APIMessage,
	APIRole,
	APIUser,
	ChannelType,
	GatewayVoiceState,
	GuildMemberFlags,
	RoleFlags,
	UserFlags
} from 'discord-api-types/v10';
import { guildCreateMembers, type SessionView } from './members.ts';
import { channelPermissions, memberPermissions, toApiOverwrite } from './permissions.ts';
import type {
	ChannelRecord,
	CommandRecord,
	GuildRecord,
	MemberRecord,
	MessageRecord,
	RoleRecord,
	SandboxState,
	UserRecord,
	VoiceStateRecord
} from './state.ts';

/*
 * Turn internal records into API v10 JSON. Field sets follow the OpenAPI response
 * schemas (UserResponse, GuildRoleResponse, MessageResponse, ...), which require
 * several fields discord-api-types marks optional; the spread `as` casts widen
 * to the discord-api-types shape the rest of the emulator and discord.js expect.
 */

/** `UserResponse`: the public user object. */
export function toApiUser(user: UserRecord): APIUser & Record<string, unknown> {
	return {
		id: user.id,
		username: user.username,
		avatar: null,
		discriminator: '0',
		public_flags: 0 as UserFlags,
		flags: 0 as UserFlags,
		global_name: user.globalName,
		primary_guild: null,
		...(user.bot ? { bot: true } : {})
	};
}

/** `UserPIIResponse`: what `/users/@me` shows the user themselves. */
export function toApiUserPII(user: UserRecord, withEmail: boolean): APIUser & Record<string, unknown> {
	return {
		...toApiUser(user),
		mfa_enabled: false,
		locale: 'en-US',
		verified: true,
		...(withEmail ? { email: user.bot ? null : `${user.username}@sandbox.invalid` } : {})
	};
}

/** `GuildRoleResponse`. */
export function toApiRole(role: RoleRecord): APIRole {
	return {
		id: role.id,
		name: role.name,
		permissions: role.permissions.toString(),
		position: role.position,
		color: role.color,
		colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
		hoist: role.hoist,
		managed: role.managed,
		mentionable: role.mentionable,
		icon: null,
		unicode_emoji: null,
		flags: 0 as RoleFlags,
		...(role.botId ? { tags: { bot_id: role.botId } } : {})
	};
}

/** `GuildChannelResponse` for text and voice channels. */
export function toApiChannel(channel: ChannelRecord): APIGuildChannel<ChannelType.GuildText | ChannelType.GuildVoice> {
	const base = {
		id: channel.id,
		type: channel.type,
		flags: 0,
		guild_id: channel.guildId,
		name: channel.name,
		position: channel.position,
		parent_id: null,
		permission_overwrites: channel.overwrites.map(toApiOverwrite),
		nsfw: false,
		rate_limit_per_user: 0,
		last_message_id: channel.lastMessageId
	};
	// Voice channels carry audio settings; text channels a topic.
	const extra = channel.type === 2 ? { bitrate: 64000, user_limit: 0, rtc_region: null } : { topic: channel.topic };
	return { ...base, ...extra } as unknown as APIGuildChannel<ChannelType.GuildText | ChannelType.GuildVoice>;
}

/** `GuildMemberResponse`. */
export function toApiMember(state: SandboxState, member: MemberRecord): APIGuildMember {
	const user = state.users.get(member.userId);
	return {
		avatar: null,
		banner: null,
		communication_disabled_until: null,
		flags: 0 as GuildMemberFlags,
		joined_at: member.joinedAt,
		nick: member.nick,
		pending: false,
		premium_since: null,
		roles: [...member.roles],
		user: toApiUser(user ?? { id: member.userId, username: 'unknown', globalName: null, bot: false }),
		mute: false,
		deaf: false
	};
}

/**
 * Member as embedded in an interaction: the plain member plus its permissions, in `channel` (the interaction's
 * channel, overwrites included, as Discord sends them) or guild-wide without one.
 */
export function toApiInteractionMember(
	state: SandboxState,
	guild: GuildRecord,
	member: MemberRecord,
	channel?: ChannelRecord
): APIGuildMember & { permissions: string } {
	const permissions = channel ? channelPermissions(guild, channel, member.userId) : memberPermissions(guild, member.userId);
	return { ...toApiMember(state, member), permissions: permissions.toString() };
}

/** Voice state as sent in GUILD_CREATE and VOICE_STATE_UPDATE. */
export function toApiVoiceState(
	state: SandboxState,
	guild: GuildRecord,
	voice: VoiceStateRecord | { userId: string; channelId: null; selfMute: boolean; selfDeaf: boolean; sessionId: string }
): GatewayVoiceState {
	const member = guild.members.get(voice.userId);
	return {
		guild_id: guild.id,
		channel_id: voice.channelId,
		user_id: voice.userId,
		...(member ? { member: toApiMember(state, member) } : {}),
		session_id: voice.sessionId,
		deaf: false,
		mute: false,
		self_deaf: voice.selfDeaf,
		self_mute: voice.selfMute,
		self_video: false,
		suppress: false,
		request_to_speak_timestamp: null
	} as GatewayVoiceState;
}

/** `GuildWithCountsResponse`: the guild object of `GET /guilds/{id}`. */
export function toApiGuild(guild: GuildRecord, withCounts = false): Record<string, unknown> {
	const firstText = [...guild.channels.values()].find((c) => c.type === 0);
	return {
		id: guild.id,
		name: guild.name,
		icon: null,
		description: null,
		home_header: null,
		splash: null,
		discovery_splash: null,
		features: [],
		banner: null,
		owner_id: guild.ownerId,
		application_id: null,
		region: 'deprecated',
		afk_channel_id: null,
		afk_timeout: 300,
		system_channel_id: firstText?.id ?? null,
		system_channel_flags: 0,
		widget_enabled: false,
		widget_channel_id: null,
		verification_level: 0,
		roles: [...guild.roles.values()].map(toApiRole),
		default_message_notifications: 0,
		mfa_level: 0,
		explicit_content_filter: 0,
		max_presences: null,
		max_members: 500000,
		max_stage_video_channel_users: 50,
		max_video_channel_users: 25,
		vanity_url_code: null,
		premium_tier: 0,
		premium_subscription_count: 0,
		preferred_locale: 'en-US',
		rules_channel_id: null,
		safety_alerts_channel_id: null,
		public_updates_channel_id: null,
		premium_progress_bar_enabled: false,
		nsfw: false,
		nsfw_level: 0,
		emojis: [],
		stickers: [],
		incidents_data: null,
		...(withCounts ? { approximate_member_count: guild.members.size, approximate_presence_count: 0 } : {})
	};
}

/**
 * The GUILD_CREATE payload as one session gets it: with only the members Discord sends that session (see
 * `guildCreateMembers`: without GUILD_PRESENCES, or in a large guild, the bot and members in voice).
 */
export function toGatewayGuildCreate(state: SandboxState, guild: GuildRecord, view: SessionView): Record<string, unknown> {
	const bot = guild.members.get(state.botUserId);
	const { large, members } = guildCreateMembers(guild, state.botUserId, view);
	return {
		...toApiGuild(guild),
		joined_at: bot?.joinedAt ?? guild.createdAt,
		large,
		unavailable: false,
		member_count: guild.members.size,
		voice_states: [...guild.voiceStates.values()].map((v) => {
			const { member: _member, guild_id: _guildId, ...rest } = toApiVoiceState(state, guild, v);
			return rest;
		}),
		members: members.map((m) => toApiMember(state, m)),
		channels: [...guild.channels.values()].map(toApiChannel),
		threads: [],
		presences: [],
		stage_instances: [],
		guild_scheduled_events: [],
		soundboard_sounds: [],
		lazy: true
	};
}

/** `MessageResponse`. */
export function toApiMessage(state: SandboxState, message: MessageRecord): APIMessage & Record<string, unknown> {
	const author = state.users.get(message.authorId) ?? { id: message.authorId, username: 'unknown', globalName: null, bot: false };
	const out: Record<string, unknown> = {
		type: message.type,
		content: message.content,
		mentions: message.mentionUserIds.flatMap((id) => {
			const user = state.users.get(id);
			return user ? [toApiUser(user)] : [];
		}),
		mention_roles: [...message.mentionRoleIds],
		attachments: message.attachments.map((a) => ({
			id: a.id,
			filename: a.filename,
			size: a.size,
			url: `https://cdn.discordapp.com/attachments/${message.channelId}/${a.id}/${encodeURIComponent(a.filename)}`,
			proxy_url: `https://media.discordapp.net/attachments/${message.channelId}/${a.id}/${encodeURIComponent(a.filename)}`,
			...(a.contentType ? { content_type: a.contentType } : {})
		})),
		embeds: message.embeds,
		timestamp: message.timestamp,
		edited_timestamp: message.editedTimestamp,
		flags: message.flags,
		components: message.components,
		id: message.id,
		channel_id: message.channelId,
		author: toApiUser(author),
		pinned: message.pinned,
		mention_everyone: message.mentionEveryone,
		tts: message.tts
	};
	if (message.nonce !== undefined) out.nonce = message.nonce;
	if (message.webhookId) out.webhook_id = message.webhookId;
	if (message.applicationId) out.application_id = message.applicationId;
	if (message.reactions.size > 0) {
		out.reactions = [...message.reactions.values()].map((r) => ({
			emoji: r.emoji,
			count: r.userIds.size,
			count_details: { burst: 0, normal: r.userIds.size },
			burst_colors: [],
			me_burst: false,
			me: r.userIds.has(state.botUserId)
		}));
	}
	if (message.interaction) {
		const user = state.users.get(message.interaction.userId);
		const userJson = user ? toApiUser(user) : undefined;
		out.interaction_metadata = {
			id: message.interaction.id,
			type: message.interaction.type,
			...(userJson ? { user: userJson } : {}),
			authorizing_integration_owners: { '0': message.guildId ?? '0' }
		};
		out.interaction = {
			id: message.interaction.id,
			type: message.interaction.type,
			name: message.interaction.name,
			...(userJson ? { user: userJson } : {})
		};
	}
	return out as unknown as APIMessage & Record<string, unknown>;
}

/** `ApplicationCommandResponse`; localizations only when asked for, like Discord's `with_localizations`. */
export function toApiCommand(applicationId: string, command: CommandRecord, withLocalizations = true): APIApplicationCommand {
	const out: Record<string, unknown> = {
		id: command.id,
		application_id: applicationId,
		version: command.version,
		default_member_permissions: command.defaultMemberPermissions,
		type: command.type,
		name: command.name,
		description: command.description,
		dm_permission: command.dmPermission,
		contexts: command.contexts,
		nsfw: command.nsfw
	};
	if (command.integrationTypes) out.integration_types = command.integrationTypes;
	if (command.guildId) out.guild_id = command.guildId;
	if (command.options.length > 0) out.options = command.options as APIApplicationCommandOption[];
	if (withLocalizations) {
		out.name_localizations = command.nameLocalizations;
		out.description_localizations = command.descriptionLocalizations;
	}
	return out as unknown as APIApplicationCommand;
}
