import type { Command } from '@sapphire/framework';
import { ManagerCommand } from '../../../core/commands.ts';
import { autocompletePost, postSubcommandGroup, runPostCommand } from '../lib/posts/command.ts';

type Interaction = Command.ChatInputCommandInteraction<'cached'>;

/**
 * `/dailies post …` (and `/dailies feed …`): server managers only, by `default_member_permissions` and by
 * `requiredUserPermissions`. Each group's builder and handler live in the plugin's lib; this piece wires them in.
 */
export class DailiesCommand extends ManagerCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, { ...options, name: 'dailies', description: 'Daily posts and feeds' });
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) => this.managerBuilder(builder).addSubcommandGroup(postSubcommandGroup));
	}

	public override async autocompleteRun(interaction: Command.AutocompleteInteraction) {
		if (interaction.options.getSubcommandGroup(false) === 'post') return autocompletePost(interaction);
		return interaction.respond([]);
	}

	public override async chatInputRun(interaction: Interaction) {
		const group = interaction.options.getSubcommandGroup(false);
		if (group === 'post') return runPostCommand(interaction);
		throw new Error(`unhandled /dailies ${group ?? ''} ${interaction.options.getSubcommand(true)}`);
	}
}
