import { type ChatInputCommandRunPayload, Events, Listener } from '@sapphire/framework';
import type { ChatInputCommandInteraction } from 'discord.js';
import { armDeferDeadline } from '../core/interaction-deadline.ts';

/**
 * Every slash command is acknowledged within Discord's 3 s even when it waits on something slow or down (the
 * database): still unanswered after 2 s, it is deferred, and its reply (or the error renderer's) edits that.
 */
export class CoreCommandDeadline extends Listener<typeof Events.ChatInputCommandRun> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'CoreCommandDeadline', event: Events.ChatInputCommandRun });
	}

	public run(interaction: ChatInputCommandInteraction, command: { name: string }, _payload: ChatInputCommandRunPayload) {
		armDeferDeadline(interaction, {
			onError: (error) =>
				this.container.log.warn(
					{ err: error, piece: command.name, guildId: interaction.guildId, interactionId: interaction.id },
					'could not defer a slow command'
				)
		});
	}
}
