import { container } from '@sapphire/framework';
import { ChannelType, type Guild, PermissionFlagsBits } from 'discord.js';
import { canManageGuild, currentMember, dashboardRolesOf, manageFactsOf } from './access.ts';
import type { GuildDetail, GuildSummary, InvitableGuild, ManageAccess, UserView } from './contract.ts';
import { OAuthError } from './discord-oauth.ts';
import type { ApiServices } from './services.ts';
import type { Session } from './sessions.ts';

export type { GuildDetail, GuildSummary, UserView };

/** The session's user, without anything secret. */
export function userView(session: Session): UserView {
	return { id: session.userId, username: session.username, globalName: session.globalName, avatar: session.avatar };
}

/** Thrown when the user's OAuth token no longer works: the session is useless. */
export class SessionRevokedError extends Error {}

/**
 * Guilds the bot is in that the user may manage. The user's OAuth guild list only narrows which guilds to look
 * at (falling back to the bot's member cache when Discord cannot be asked); every entry is then decided from the
 * bot's own view of the member, exactly as {@link requireGuildManager} decides it.
 */
export async function manageableGuilds(api: ApiServices, session: Session): Promise<GuildSummary[]> {
	const client = container.client;
	let candidates: Guild[];
	try {
		const ids = await api.userGuildIds(session);
		const directory = container.guildDirectory;
		// Only guilds the bot is in are looked up (an api process would otherwise ask Discord about every one listed).
		const found = await Promise.all(ids.filter((id) => directory.has(id)).map((id) => directory.get(id)));
		candidates = found.filter((guild): guild is Guild => guild?.available === true);
	} catch (error) {
		if (error instanceof OAuthError && error.status === 401) throw new SessionRevokedError('OAuth token rejected');
		if (!(error instanceof OAuthError)) throw error;
		api.logger.warn({ step: error.step, status: error.status }, 'user guild list unavailable; using the bot member cache');
		candidates = [...client.guilds.cache.values()].filter((guild) => guild.available && guild.members.cache.has(session.userId));
	}
	const results = await Promise.all(
		candidates.map(async (guild): Promise<GuildSummary | null> => {
			// The picker grants nothing (every guild route re-checks within the bound), so it reads the gateway's copy
			// and costs no REST call per guild: a user in many guilds would otherwise spend Discord's global limit.
			const member = await currentMember(guild, session.userId, Number.POSITIVE_INFINITY);
			if (!member) return null;
			const access = canManageGuild(manageFactsOf(guild, member, await dashboardRolesOf(guild.id).catch(() => [])));
			return access ? { id: guild.id, name: guild.name, icon: guild.icon, access } : null;
		})
	);
	return results.filter((entry): entry is GuildSummary => entry !== null).sort((a, b) => a.name.localeCompare(b.name));
}

const PICKABLE_CHANNELS = new Set<number>([
	ChannelType.GuildText,
	ChannelType.GuildAnnouncement,
	ChannelType.GuildVoice,
	ChannelType.GuildStageVoice,
	ChannelType.GuildCategory,
	ChannelType.GuildForum
]);

/** Channels (no threads) in Discord's order and roles from the top, `@everyone` left out. */
export function guildDetail(guild: Guild, access: ManageAccess, accessRecheckSeconds: number): GuildDetail {
	const channels = [...guild.channels.cache.values()]
		.filter((channel) => PICKABLE_CHANNELS.has(channel.type))
		.map((channel) => ({
			id: channel.id,
			name: channel.name,
			type: channel.type as number,
			position: 'rawPosition' in channel ? channel.rawPosition : 0,
			parentId: channel.parentId ?? null
		}))
		.sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
	const roles = [...guild.roles.cache.values()]
		.filter((role) => role.id !== guild.id)
		.map((role) => ({ id: role.id, name: role.name, color: role.color, position: role.position, managed: role.managed }))
		.sort((a, b) => b.position - a.position);
	return { id: guild.id, name: guild.name, icon: guild.icon, access, accessRecheckSeconds, channels, roles };
}

/** Permissions the invite asks for: what Facet's plugins use (post, embed, react, read history, give tier roles). */
export const INVITE_PERMISSIONS =
	PermissionFlagsBits.ViewChannel |
	PermissionFlagsBits.SendMessages |
	PermissionFlagsBits.EmbedLinks |
	PermissionFlagsBits.AddReactions |
	PermissionFlagsBits.ReadMessageHistory |
	PermissionFlagsBits.ManageRoles;

const MANAGE = PermissionFlagsBits.Administrator | PermissionFlagsBits.ManageGuild;

/**
 * Guilds of the user's OAuth list that the bot is not in and that the user may add a bot to (owner, Administrator
 * or Manage Server by their token's word: enough to offer a link, which grants nothing), with the invite link.
 */
export async function invitableGuilds(api: ApiServices, session: Session): Promise<InvitableGuild[]> {
	const clientId = api.config.clientId ?? container.client.application?.id ?? container.client.user?.id;
	if (!clientId) return [];
	let listed: Awaited<ReturnType<ApiServices['userGuilds']>>;
	try {
		listed = await api.userGuilds(session);
	} catch (error) {
		if (error instanceof OAuthError) return [];
		throw error;
	}
	return listed
		.filter((guild) => !container.guildDirectory.has(guild.id))
		.filter((guild) => guild.owner || (BigInt(guild.permissions) & MANAGE) !== 0n)
		.map((guild) => {
			const query = new URLSearchParams({
				client_id: clientId,
				scope: 'bot applications.commands',
				permissions: String(INVITE_PERMISSIONS),
				guild_id: guild.id,
				disable_guild_select: 'true'
			});
			return { id: guild.id, name: guild.name, icon: guild.icon, inviteUrl: `${api.config.discordBaseUrl}/oauth2/authorize?${query}` };
		})
		.sort((a, b) => a.name.localeCompare(b.name));
}
