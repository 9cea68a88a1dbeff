import { DiscordAPIError, type REST } from 'discord.js';
import { type APIMessage, Routes } from 'discord-api-types/v10';
import type { PostPayload } from './render.ts';

/** Sends a rendered daily post. The nonce makes a retried send return the first message instead of a second one. */
export interface PostSender {
	send(channelId: string, payload: PostPayload, nonce: string): Promise<{ messageId: string }>;
}

/** A send that can never succeed as it is (the channel is gone, the bot may not post there): not retried. */
export class PermanentSendError extends Error {
	public readonly code: number | string;

	public constructor(message: string, code: number | string) {
		super(message);
		this.code = code;
	}
}

/** Discord error codes that retrying cannot fix, with the reason a run records. */
const PERMANENT: Record<number, string> = {
	10003: 'the channel no longer exists',
	10004: 'the bot is no longer in this server',
	50001: 'the bot cannot see the channel (Missing Access)',
	50013: 'the bot may not post in the channel (Missing Permissions)',
	50008: 'the channel does not take messages',
	50035: 'Discord refused the message as invalid'
};

/**
 * Posts through discord.js's REST client (its rate-limit queue and retries), with `nonce` + `enforce_nonce`: if the
 * first attempt reached Discord but its answer was lost, the retry gets the same message back.
 */
export function restSender(rest: REST): PostSender {
	return {
		async send(channelId, payload, nonce) {
			try {
				const message = (await rest.post(Routes.channelMessages(channelId), {
					body: { ...payload, nonce, enforce_nonce: true }
				})) as APIMessage;
				return { messageId: message.id };
			} catch (error) {
				if (error instanceof DiscordAPIError && typeof error.code === 'number' && PERMANENT[error.code])
					throw new PermanentSendError(PERMANENT[error.code]!, error.code);
				throw error;
			}
		}
	};
}
