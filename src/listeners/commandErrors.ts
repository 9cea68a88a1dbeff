import {
	type ChatInputCommandDeniedPayload,
	type ChatInputCommandErrorPayload,
	Events,
	Listener,
	type UserError
} from '@sapphire/framework';
import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { asUserFacing } from '../core/database/errors.ts';
import { renderUserError } from '../core/errors.ts';

async function replyEphemeral(interaction: ChatInputCommandInteraction, content: string) {
	const payload = { content, allowedMentions: { parse: [] } };
	if (interaction.deferred || interaction.replied) return interaction.editReply(payload);
	return interaction.reply({ ...payload, flags: MessageFlags.Ephemeral });
}

/** Renders a refused command (precondition) as a short ephemeral message. */
export class CoreChatInputCommandDenied extends Listener<typeof Events.ChatInputCommandDenied> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'CoreChatInputCommandDenied', event: Events.ChatInputCommandDenied });
	}

	public async run(error: UserError, { interaction }: ChatInputCommandDeniedPayload) {
		await replyEphemeral(interaction, renderUserError(error)).catch(() => undefined);
	}
}

/** The one place command errors are rendered: identifiers for the user, piece, guild and stack for the log. */
export class CoreChatInputCommandError extends Listener<typeof Events.ChatInputCommandError> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		// Same name as Sapphire's default error listener, which this replaces.
		super(context, { ...options, name: 'CoreChatInputCommandError', event: Events.ChatInputCommandError });
	}

	public async run(thrown: unknown, { command, interaction }: ChatInputCommandErrorPayload) {
		// A database outage is a user-facing "try again", not a bug (src/core/database/errors.ts).
		const error = asUserFacing(thrown);
		if (error !== thrown)
			this.container.log.warn({ piece: command.name, guildId: interaction.guildId }, 'command could not reach the database');
		const isUserError = typeof error === 'object' && error !== null && 'identifier' in error;
		if (!isUserError) {
			this.container.log.error(
				{ err: error, piece: command.name, guildId: interaction.guildId, userId: interaction.user.id },
				'command failed'
			);
		}
		await replyEphemeral(interaction, renderUserError(error)).catch(() => undefined);
	}
}
