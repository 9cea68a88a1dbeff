import { ChannelType, type Guild, PermissionFlagsBits } from 'discord.js';
import { referenceProblem } from '../../../../core/references.ts';

/** Channel types a daily post can go to. */
export const POST_CHANNEL_TYPES = [ChannelType.GuildText, ChannelType.GuildAnnouncement] as const;

/**
 * Why a daily post cannot go to a channel of this guild (from the bot's own cache), or null when it can: the core's
 * check that it is a text or announcement channel of the guild, and that the bot can see it and send there.
 */
export function postChannelProblem(guild: Guild, channelId: string): string | null {
	const problem = referenceProblem(guild, { kind: 'channel', channels: 'text' }, channelId);
	if (problem) return problem;
	const channel = guild.channels.cache.get(channelId)!;
	const me = guild.members.me;
	const permissions = me ? channel.permissionsFor(me) : null;
	if (!permissions?.has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages]))
		return 'is a channel the bot cannot send messages in';
	return null;
}
