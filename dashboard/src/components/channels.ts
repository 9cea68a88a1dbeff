import type { GuildDetail } from '@facet/api';

/** Channel types a message can be posted in: text and announcement. */
const TEXT_CHANNEL_TYPES = new Set([0, 5]);
const CHANNEL_GLYPH: Record<number, string> = { 0: '#', 2: '🔊', 4: '▸', 5: '📣', 13: '🎙', 15: '💬' };

/** The guild's channels as picker options (`# name`), categories left out; `textOnly` keeps those a bot can post in. */
export function channelOptions(guild: GuildDetail, textOnly: boolean) {
	return guild.channels
		.filter((channel) => channel.type !== 4 && (!textOnly || TEXT_CHANNEL_TYPES.has(channel.type)))
		.map((channel) => ({ value: channel.id, label: `${CHANNEL_GLYPH[channel.type] ?? '#'} ${channel.name}` }));
}

/** `#name` of a channel, or its id when the bot does not see it (deleted, hidden). */
export function channelName(guild: GuildDetail, channelId: string | null): string {
	if (!channelId) return 'no channel';
	const channel = guild.channels.find((c) => c.id === channelId);
	return channel ? `#${channel.name}` : `channel ${channelId}`;
}
