import type { SapphireClient } from '@sapphire/framework';
import { ChannelType, PermissionFlagsBits } from 'discord.js';

const POSTABLE = new Set([ChannelType.GuildText, ChannelType.GuildAnnouncement]);

/** Why the bot cannot post feed items in this channel (from its cache), or null when it can. */
export function channelProblem(client: SapphireClient, guildId: string, channelId: string): string | null {
	const guild = client.guilds.cache.get(guildId);
	if (!guild) return 'is in a server the bot is not in';
	const channel = guild.channels.cache.get(channelId);
	if (!channel) return 'is not a channel of this server';
	if (!POSTABLE.has(channel.type)) return 'is not a text or announcement channel';
	const me = guild.members.me;
	// Without its own member cached the bot cannot tell; the first post says (and pauses the feed if refused).
	if (!me) return null;
	const missing = me
		.permissionsIn(channel)
		.missing([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.SendMessages, PermissionFlagsBits.EmbedLinks]);
	return missing.length ? `lacks the bot's ${missing.join(', ')} permission${missing.length === 1 ? '' : 's'}` : null;
}
