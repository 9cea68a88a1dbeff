import {
	type ChatInputCommandDeniedPayload,
	type ChatInputCommandErrorPayload,
	Events,
	Listener,
	type UserError
} from '@sapphire/framework';
import { deliverError, type ErrorReplyTarget, identify } from '../core/errors.ts';

/** Renders a refused command (precondition) as a short ephemeral message. */
export class CoreChatInputCommandDenied extends Listener<typeof Events.ChatInputCommandDenied> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'CoreChatInputCommandDenied', event: Events.ChatInputCommandDenied });
	}

	public async run(error: UserError, { command, interaction }: ChatInputCommandDeniedPayload) {
		await deliverError(interaction as unknown as ErrorReplyTarget, error, { piece: command.name, logger: this.container.log });
	}
}

/** The one place command errors are rendered: identifiers for the user, piece, guild and stack for the log. */
export class CoreChatInputCommandError extends Listener<typeof Events.ChatInputCommandError> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		// Same name as Sapphire's default error listener, which this replaces.
		super(context, { ...options, name: 'CoreChatInputCommandError', event: Events.ChatInputCommandError });
	}

	public async run(error: unknown, { command, interaction }: ChatInputCommandErrorPayload) {
		const identified = identify(error);
		if (!identified || identified.status >= 500) {
			this.container.log.error(
				{ err: error, piece: command.name, guildId: interaction.guildId, userId: interaction.user.id },
				'command failed'
			);
		}
		await deliverError(interaction as unknown as ErrorReplyTarget, error, { piece: command.name, logger: this.container.log });
	}
}
