import { GatewayDispatchEvents, GatewayIntentBits, PermissionFlagsBits } from 'discord-api-types/v10';
import { Errors } from './errors.ts';
import type { Gateway } from './gateway.ts';
import type { MessageInput } from './messages.ts';
import { channelPermissions } from './permissions.ts';
import { toApiChannel } from './serialize.ts';
import type { ChannelRecord, GuildRecord, OverwriteRecord } from './state.ts';

/**
 * Sets (creates or replaces) a channel permission overwrite and dispatches CHANNEL_UPDATE, as an admin editing
 * the channel's permissions would.
 */
export function setOverwrite(gateway: Gateway, guild: GuildRecord, channel: ChannelRecord, overwrite: OverwriteRecord): void {
	const index = channel.overwrites.findIndex((o) => o.id === overwrite.id);
	if (index === -1) channel.overwrites.push({ ...overwrite });
	else channel.overwrites[index] = { ...overwrite };
	dispatchChannelUpdate(gateway, guild, channel);
}

/** Removes a channel permission overwrite (false when there was none) and dispatches CHANNEL_UPDATE. */
export function deleteOverwrite(gateway: Gateway, guild: GuildRecord, channel: ChannelRecord, id: string): boolean {
	const index = channel.overwrites.findIndex((o) => o.id === id);
	if (index === -1) return false;
	channel.overwrites.splice(index, 1);
	dispatchChannelUpdate(gateway, guild, channel);
	return true;
}

function dispatchChannelUpdate(gateway: Gateway, guild: GuildRecord, channel: ChannelRecord): void {
	gateway.dispatch(GatewayDispatchEvents.ChannelUpdate, toApiChannel(channel), { guildId: guild.id, intent: GatewayIntentBits.Guilds });
}

/**
 * The channel-permission rules of a bot message sent through the channel routes (interaction responses and
 * webhooks are exempt, as on Discord): files need Attach Files (50013). Embeds need Embed Links: a message of
 * embeds only is refused with 50013, and a message with other content is sent with its embeds dropped, which is
 * what Discord was seen to do (discord/discord-api-docs#2601, #5648; the docs say nothing). Returns the input to
 * store.
 */
export function gateBotMessage(guild: GuildRecord, channel: ChannelRecord, botId: string, input: MessageInput): MessageInput {
	const has = channelPermissions(guild, channel, botId);
	if ((input.attachments?.length ?? 0) > 0 && (has & PermissionFlagsBits.AttachFiles) === 0n) throw Errors.missingPermissions();
	if (!input.embeds?.length || (has & PermissionFlagsBits.EmbedLinks) !== 0n) return input;
	const hasOther = Boolean(input.content) || (input.components?.length ?? 0) > 0 || (input.attachments?.length ?? 0) > 0;
	if (!hasOther) throw Errors.missingPermissions();
	return { ...input, embeds: [] };
}
