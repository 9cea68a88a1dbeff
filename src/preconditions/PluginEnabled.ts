import { AllFlowsPrecondition, type ChatInputCommand, type ContextMenuCommand, type MessageCommand } from '@sapphire/framework';
import type { AutocompleteInteraction, ChatInputCommandInteraction, ContextMenuCommandInteraction, Message } from 'discord.js';
import { FacetIdentifiers } from '../core/errors.ts';
import { pluginOf } from '../core/plugins/gate.ts';

/**
 * Global precondition: a plugin's command is refused in a guild where the plugin is off. Its commands are
 * not listed there, but a client can still send a stale invocation.
 */
export class PluginEnabledPrecondition extends AllFlowsPrecondition {
	public constructor(context: AllFlowsPrecondition.LoaderContext, options: AllFlowsPrecondition.Options) {
		super(context, { ...options, position: 0 });
	}

	public override chatInputRun(interaction: ChatInputCommandInteraction, command: ChatInputCommand) {
		return this.#check(interaction.guildId, command);
	}

	public override contextMenuRun(interaction: ContextMenuCommandInteraction, command: ContextMenuCommand) {
		return this.#check(interaction.guildId, command);
	}

	public override messageRun(message: Message, command: MessageCommand) {
		return this.#check(message.guildId, command);
	}

	public autocompleteRun(interaction: AutocompleteInteraction, command: ChatInputCommand) {
		return this.#check(interaction.guildId, command);
	}

	#check(guildId: string | null, command: ChatInputCommand | ContextMenuCommand | MessageCommand) {
		const plugin = pluginOf(command);
		if (plugin === null) return this.ok();
		if (!guildId) return this.error({ identifier: FacetIdentifiers.GuildOnly, message: 'This command only works in a server.' });
		if (this.container.plugins.isEnabled(guildId, plugin)) return this.ok();
		return this.error({
			identifier: FacetIdentifiers.PluginDisabled,
			message: `The **${plugin}** plugin is turned off in this server. A server manager can turn it on with \`/plugins enable ${plugin}\` or in the dashboard.`,
			context: { plugin }
		});
	}
}
