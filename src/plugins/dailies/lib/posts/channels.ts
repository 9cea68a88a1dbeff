import { ChannelType, type Guild, PermissionFlagsBits } from 'discord.js';

/** Channel types a daily post can go to. */
export const POST_CHANNEL_TYPES = [ChannelType.GuildText, ChannelType.GuildAnnouncement] as const;

/**
 * Why a daily post cannot go to a channel of this guild (from the bot's own cache), or null when it can: it must be a
 * text or announcement channel of the guild that the bot can see and send messages in.
 */
export function postChannelProblem(guild: Guild, channelId: string): string | null {
	const channel = guild.channels.cache.get(channelId);
	if (!channel) return 'is not a channel of this server';
	if (!(POST_CHANNEL_TYPES as readonly ChannelType[]).includes(channel.type)) return 'must be a text or announcement channel';
	const me = guild.members.me;
	const permissions = me ? channel.permissionsFor(me) : null;
	if (!permissions?.has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages]))
		return 'is a channel the bot cannot send messages in';
	return null;
}
