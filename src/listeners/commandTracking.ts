import { type ChatInputCommandFinishPayload, type ChatInputCommandRunPayload, Events, Listener } from '@sapphire/framework';
import type { ChatInputCommandInteraction } from 'discord.js';

const running = new Map<string, () => void>();

/** Tracks every running slash command, so a shutdown lets it finish (and reply) before closing connections. */
export class CoreCommandRunTracker extends Listener<typeof Events.ChatInputCommandRun> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'CoreCommandRunTracker', event: Events.ChatInputCommandRun });
	}

	public run(interaction: ChatInputCommandInteraction, command: { name: string }, _payload: ChatInputCommandRunPayload) {
		this.container.log.debug({ piece: command.name, guildId: interaction.guildId, interactionId: interaction.id }, 'command started');
		void this.container.work.track(
			new Promise<void>((resolve) => {
				running.set(interaction.id, resolve);
			})
		);
	}
}

/** Ends the tracking of a slash command (Sapphire emits Finish after success and after errors). */
export class CoreCommandFinishTracker extends Listener<typeof Events.ChatInputCommandFinish> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'CoreCommandFinishTracker', event: Events.ChatInputCommandFinish });
	}

	public run(interaction: ChatInputCommandInteraction, _command: unknown, _payload: ChatInputCommandFinishPayload) {
		running.get(interaction.id)?.();
		running.delete(interaction.id);
	}
}
