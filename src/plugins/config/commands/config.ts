import type { Command } from '@sapphire/framework';
import { ChannelType, EmbedBuilder, MessageFlags } from 'discord.js';
import { ManagerCommand } from '../../../core/commands.ts';
import { FacetError, FacetIdentifiers } from '../../../core/errors.ts';
import { type ConfigSettings, formatSetting, LOCALES, SETTING_LABELS, TIME_ZONES } from '../lib/settings.ts';

const PLUGIN = 'config';
const KEYS = Object.keys(SETTING_LABELS) as (keyof ConfigSettings)[];

/** `/config view|set|reset|history|revert`: the server's settings, every change audited and revertible. */
export class ConfigCommand extends ManagerCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, {
			...options,
			name: 'config',
			description: 'View and change this server’s Facet settings'
		});
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) =>
			this.managerBuilder(builder)
				.addSubcommand((sub) => sub.setName('view').setDescription('Show every setting'))
				.addSubcommandGroup((group) =>
					group
						.setName('set')
						.setDescription('Change a setting')
						.addSubcommand((sub) =>
							sub
								.setName('welcome-channel')
								.setDescription('Channel where new members are welcomed')
								.addChannelOption((o) =>
									o.setName('channel').setDescription('Text channel').addChannelTypes(ChannelType.GuildText).setRequired(true)
								)
						)
						.addSubcommand((sub) =>
							sub
								.setName('welcome-message')
								.setDescription('Welcome text; {user} and {server} are filled in')
								.addStringOption((o) => o.setName('message').setDescription('The message').setMaxLength(1500).setRequired(true))
						)
						.addSubcommand((sub) =>
							sub
								.setName('daily-channel')
								.setDescription('Channel for daily posts')
								.addChannelOption((o) =>
									o.setName('channel').setDescription('Text channel').addChannelTypes(ChannelType.GuildText).setRequired(true)
								)
						)
						.addSubcommand((sub) =>
							sub
								.setName('timezone')
								.setDescription('Time zone for scheduled posts')
								.addStringOption((o) =>
									o.setName('timezone').setDescription('IANA time zone, e.g. Europe/Paris').setAutocomplete(true).setRequired(true)
								)
						)
						.addSubcommand((sub) =>
							sub
								.setName('locale')
								.setDescription('Language of the bot in this server')
								.addStringOption((o) =>
									o
										.setName('locale')
										.setDescription('Locale')
										.setRequired(true)
										.addChoices(...LOCALES.slice(0, 25).map((locale) => ({ name: locale, value: locale })))
								)
						)
						.addSubcommand((sub) =>
							sub
								.setName('dashboard-role-add')
								.setDescription('Let a role use the dashboard')
								.addRoleOption((o) => o.setName('role').setDescription('Role').setRequired(true))
						)
						.addSubcommand((sub) =>
							sub
								.setName('dashboard-role-remove')
								.setDescription('Stop a role from using the dashboard')
								.addRoleOption((o) => o.setName('role').setDescription('Role').setRequired(true))
						)
				)
				.addSubcommand((sub) =>
					sub
						.setName('reset')
						.setDescription('Put a setting back to its default')
						.addStringOption((o) =>
							o
								.setName('setting')
								.setDescription('Setting')
								.setRequired(true)
								.addChoices(...KEYS.map((key) => ({ name: SETTING_LABELS[key], value: key })))
						)
				)
				.addSubcommand((sub) =>
					sub
						.setName('history')
						.setDescription('Recent changes to settings and plugins')
						.addIntegerOption((o) => o.setName('limit').setDescription('How many (default 10)').setMinValue(1).setMaxValue(25))
				)
				.addSubcommand((sub) =>
					sub
						.setName('revert')
						.setDescription('Undo a change from the history')
						.addIntegerOption((o) =>
							o.setName('entry').setDescription('Entry number from /config history').setMinValue(1).setRequired(true)
						)
				)
		);
	}

	public override async autocompleteRun(interaction: Command.AutocompleteInteraction) {
		const query = interaction.options.getFocused().toLowerCase();
		const matches = TIME_ZONES.filter((zone) => zone.toLowerCase().includes(query)).slice(0, 25);
		return interaction.respond(matches.map((zone) => ({ name: zone, value: zone })));
	}

	public override async chatInputRun(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const group = interaction.options.getSubcommandGroup(false);
		const sub = interaction.options.getSubcommand(true);
		if (group === 'set') return this.#set(interaction, sub);
		switch (sub) {
			case 'view':
				return this.#view(interaction);
			case 'reset':
				return this.#reset(interaction);
			case 'history':
				return this.#history(interaction);
			case 'revert':
				return this.#revert(interaction);
		}
		throw new Error(`unhandled /config subcommand ${sub}`);
	}

	#actor(interaction: Command.ChatInputCommandInteraction) {
		return { id: interaction.user.id, source: 'command' as const };
	}

	async #view(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const settings = this.container.plugins.settings<ConfigSettings>(interaction.guildId, PLUGIN);
		const embed = new EmbedBuilder()
			.setTitle(`Settings of ${interaction.guild?.name ?? 'this server'}`)
			.setDescription(KEYS.map((key) => `**${SETTING_LABELS[key]}**: ${formatSetting(key, settings[key])}`).join('\n'));
		return interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
	}

	async #set(interaction: Command.ChatInputCommandInteraction<'cached'>, sub: string) {
		// Role list changes are functions of the stored list, applied under the row lock: two adds at once both land.
		let patch: Partial<ConfigSettings> | ((current: ConfigSettings) => Partial<ConfigSettings>);
		switch (sub) {
			case 'welcome-channel':
				patch = { welcomeChannel: interaction.options.getChannel('channel', true).id };
				break;
			case 'welcome-message':
				patch = { welcomeMessage: interaction.options.getString('message', true) };
				break;
			case 'daily-channel':
				patch = { dailyChannel: interaction.options.getChannel('channel', true).id };
				break;
			case 'timezone':
				patch = { timezone: interaction.options.getString('timezone', true) };
				break;
			case 'locale':
				patch = { locale: interaction.options.getString('locale', true) as ConfigSettings['locale'] };
				break;
			case 'dashboard-role-add': {
				const role = interaction.options.getRole('role', true);
				patch = (current) => ({ dashboardRoles: [...new Set([...current.dashboardRoles, role.id])] });
				break;
			}
			case 'dashboard-role-remove': {
				const role = interaction.options.getRole('role', true);
				patch = (current) => ({ dashboardRoles: current.dashboardRoles.filter((id) => id !== role.id) });
				break;
			}
			default:
				throw new Error(`unhandled /config set ${sub}`);
		}
		const key: keyof ConfigSettings = typeof patch === 'function' ? 'dashboardRoles' : (Object.keys(patch)[0] as keyof ConfigSettings);
		const updated = await this.container.plugins.updateSettings<ConfigSettings>(
			interaction.guildId,
			PLUGIN,
			patch,
			this.#actor(interaction)
		);
		return interaction.reply({
			content: `**${SETTING_LABELS[key]}** is now ${formatSetting(key, (updated as ConfigSettings)[key])}.`,
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #reset(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const key = interaction.options.getString('setting', true);
		if (!KEYS.includes(key as keyof ConfigSettings)) {
			throw new FacetError(FacetIdentifiers.InvalidSettings, `There is no setting named "${key}".`, { key });
		}
		const updated = await this.container.plugins.updateSettings(
			interaction.guildId,
			PLUGIN,
			{ [key]: undefined },
			this.#actor(interaction)
		);
		return interaction.reply({
			content: `**${SETTING_LABELS[key as keyof ConfigSettings]}** is back to its default: ${formatSetting(key, updated[key])}.`,
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #history(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const entries = await this.container.plugins.audit(interaction.guildId, { limit: interaction.options.getInteger('limit') ?? 10 });
		if (entries.length === 0) return interaction.reply({ content: 'No changes recorded yet.', flags: MessageFlags.Ephemeral });
		const lines = entries.map((entry) => {
			const when = `<t:${Math.floor(entry.createdAt.getTime() / 1000)}:R>`;
			const what = entry.key === '$enabled' ? `plugin **${entry.plugin}**` : `**${entry.plugin}.${entry.key}**`;
			const revert = entry.revertOf ? ` (revert of #${entry.revertOf})` : '';
			return `#${entry.id} ${when} <@${entry.actorId}> via ${entry.source}: ${what} ${formatSetting(entry.key, entry.before?.value)} → ${formatSetting(entry.key, entry.after?.value)}${revert}`;
		});
		return interaction.reply({ content: lines.join('\n').slice(0, 1_990), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
	}

	async #revert(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const entryId = interaction.options.getInteger('entry', true);
		const { plugin, key } = await this.container.plugins.revert(interaction.guildId, entryId, this.#actor(interaction));
		const what = key === '$enabled' ? `the ${plugin} plugin switch` : `${plugin}.${key}`;
		return interaction.reply({ content: `Reverted #${entryId}: ${what} is restored.`, flags: MessageFlags.Ephemeral });
	}
}
