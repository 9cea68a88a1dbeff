import type { Command } from '@sapphire/framework';
import { MessageFlags } from 'discord.js';
import { ManagerCommand } from '../../../core/commands.ts';
import { FacetError, FacetIdentifiers } from '../../../core/errors.ts';

/** `/plugins list|enable|disable`: switch Facet's plugins per server. */
export class PluginsCommand extends ManagerCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, {
			...options,
			name: 'plugins',
			description: 'List, enable and disable Facet plugins in this server'
		});
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) =>
			this.managerBuilder(builder)
				.addSubcommand((sub) => sub.setName('list').setDescription('Show every plugin and whether it is on'))
				.addSubcommand((sub) =>
					sub
						.setName('enable')
						.setDescription('Turn a plugin on')
						.addStringOption((o) => o.setName('plugin').setDescription('Plugin').setAutocomplete(true).setRequired(true))
				)
				.addSubcommand((sub) =>
					sub
						.setName('disable')
						.setDescription('Turn a plugin off: its commands disappear and it stops acting here')
						.addStringOption((o) => o.setName('plugin').setDescription('Plugin').setAutocomplete(true).setRequired(true))
				)
		);
	}

	public override async autocompleteRun(interaction: Command.AutocompleteInteraction) {
		const query = interaction.options.getFocused().toLowerCase();
		const sub = interaction.options.getSubcommand(false);
		const choices = this.container.plugins
			.list()
			.filter((plugin) => !plugin.required || sub !== 'disable')
			.filter((plugin) => plugin.name.includes(query))
			.slice(0, 25)
			.map((plugin) => ({ name: `${plugin.name} — ${plugin.description}`.slice(0, 100), value: plugin.name }));
		return interaction.respond(choices);
	}

	public override async chatInputRun(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const sub = interaction.options.getSubcommand(true);
		const { plugins } = this.container;
		if (sub === 'list') {
			const lines = plugins.list().map((plugin) => {
				const on = plugins.isEnabled(interaction.guildId, plugin.name);
				return `${on ? '🟢' : '⚪'} **${plugin.name}** — ${plugin.description}${plugin.required ? ' *(required)*' : ''}`;
			});
			return interaction.reply({ content: lines.join('\n'), flags: MessageFlags.Ephemeral });
		}
		const name = interaction.options.getString('plugin', true).trim().toLowerCase();
		if (!plugins.get(name)) {
			throw new FacetError(FacetIdentifiers.UnknownPlugin, `There is no plugin named "${name}". See \`/plugins list\`.`, { plugin: name });
		}
		const enable = sub === 'enable';
		const { changed } = await plugins.setEnabled(interaction.guildId, name, enable, { id: interaction.user.id, source: 'command' });
		const state = enable ? 'on' : 'off';
		return interaction.reply({
			content: changed ? `The **${name}** plugin is now ${state} in this server.` : `The **${name}** plugin was already ${state}.`,
			flags: MessageFlags.Ephemeral
		});
	}
}
