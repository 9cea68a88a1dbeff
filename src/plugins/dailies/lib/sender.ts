import type { SapphireClient } from '@sapphire/framework';
import { DiscordAPIError, Routes } from 'discord.js';
import type { MessagePayload } from './render.ts';

/** Why a post failed: the channel is gone, the bot may not post there, or anything else (retried later). */
export class SendError extends Error {
	public readonly kind: 'channel' | 'permission' | 'transient';

	public constructor(kind: 'channel' | 'permission' | 'transient', message: string) {
		super(message);
		this.name = 'SendError';
		this.kind = kind;
	}
}

/** Posts messages into channels; the poller depends on this, not on discord.js. */
export interface Sender {
	/** Posts and answers the message id. `nonce` makes a retried post land once (Discord's `enforce_nonce`). */
	send(channelId: string, payload: MessagePayload, nonce?: string): Promise<string>;
}

/** A {@link Sender} through the bot's REST client, mapping Discord's errors to {@link SendError} kinds. */
export function discordSender(client: SapphireClient): Sender {
	return {
		async send(channelId, payload, nonce) {
			try {
				const body = nonce ? { ...payload, nonce, enforce_nonce: true } : payload;
				const message = (await client.rest.post(Routes.channelMessages(channelId), { body })) as { id: string };
				return message.id;
			} catch (error) {
				throw toSendError(error);
			}
		}
	};
}

/** Maps a REST error: Unknown Channel → `channel`, Missing Access / Permissions → `permission`. */
export function toSendError(error: unknown): SendError {
	if (error instanceof SendError) return error;
	if (error instanceof DiscordAPIError) {
		if (error.code === 10003 || error.status === 404) return new SendError('channel', 'the channel no longer exists');
		if (error.code === 50001 || error.code === 50013 || error.status === 403) {
			return new SendError('permission', 'the bot may not post in the channel (missing View Channel, Send Messages or Embed Links)');
		}
		return new SendError('transient', `Discord answered ${error.status}: ${error.message.slice(0, 200)}`);
	}
	return new SendError('transient', `posting failed: ${String((error as Error)?.message ?? error).slice(0, 200)}`);
}
