import type { Command } from '@sapphire/framework';
import { MessageFlags } from 'discord.js';
import { FacetCommand } from '../../../core/commands.ts';
import { MileageError, MileageIdentifiers } from '../lib/errors.ts';
import { historyEmbed, LEADERBOARD_PAGE_SIZE, leaderboardMessage, privacyReply, standingEmbed } from '../lib/render.ts';
import type { MileageSettings } from '../lib/settings.ts';

const HISTORY_DEFAULT = 10;

/**
 * `/mileage show|leaderboard|history|privacy`: what every member may look at (and their own public-leaderboard choice). The admin side (adjust, reverse, tiers,
 * rebuild) is `/mileage-admin`, because Discord's `default_member_permissions` applies to a whole command,
 * never to one subcommand: only a separate command can be hidden from members.
 */
export class MileageCommand extends FacetCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, {
			...options,
			name: 'mileage',
			description: 'Activity points: your standing, the leaderboard and the ledger',
			runIn: ['GUILD_ANY']
		});
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) =>
			builder
				.setName('mileage')
				.setDescription(this.description)
				.setDMPermission(false)
				.addSubcommand((sub) =>
					sub
						.setName('show')
						.setDescription('Points and rank of a member')
						.addUserOption((o) => o.setName('user').setDescription('Whom (default: you)'))
				)
				.addSubcommand((sub) =>
					sub
						.setName('leaderboard')
						.setDescription('Members with the most points')
						.addIntegerOption((o) => o.setName('page').setDescription('Page (default 1)').setMinValue(1).setMaxValue(100_000))
				)
				.addSubcommand((sub) =>
					sub
						.setName('privacy')
						.setDescription('Hide yourself from (or show yourself on) the public leaderboard')
						.addStringOption((o) =>
							o
								.setName('leaderboard')
								.setDescription('hide or show (default: tell me my current choice)')
								.addChoices({ name: 'hide me', value: 'hide' }, { name: 'show me', value: 'show' })
						)
				)
				.addSubcommand((sub) =>
					sub
						.setName('history')
						.setDescription('Latest ledger entries of a member, with event numbers')
						.addUserOption((o) => o.setName('user').setDescription('Whom (default: you)'))
						.addIntegerOption((o) => o.setName('limit').setDescription('How many (default 10)').setMinValue(1).setMaxValue(25))
				)
		);
	}

	public override async chatInputRun(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const sub = interaction.options.getSubcommand(true);
		switch (sub) {
			case 'show':
				return this.#show(interaction);
			case 'leaderboard':
				return this.#leaderboard(interaction);
			case 'history':
				return this.#history(interaction);
			case 'privacy':
				return this.#privacy(interaction);
		}
		throw new Error(`unhandled /mileage subcommand ${sub}`);
	}

	async #show(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const user = interaction.options.getUser('user') ?? interaction.user;
		const standing = await this.container.mileage.standing(interaction.guildId, user.id);
		return interaction.reply({ embeds: [standingEmbed(user.id, standing)], allowedMentions: { parse: [] } });
	}

	async #leaderboard(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const page = interaction.options.getInteger('page') ?? 1;
		const view = await this.container.mileage.leaderboard(interaction.guildId, page, LEADERBOARD_PAGE_SIZE);
		if (page > view.pages) {
			throw new MileageError(MileageIdentifiers.InvalidPage, `The leaderboard has ${view.pages} page${view.pages === 1 ? '' : 's'}.`, {
				page,
				pages: view.pages
			});
		}
		return interaction.reply(leaderboardMessage(interaction.guildId, interaction.guild.name, view));
	}

	async #privacy(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const choice = interaction.options.getString('leaderboard');
		const { guildId, user } = interaction;
		const hidden = choice === null ? await this.container.mileage.isPublicHidden(guildId, user.id) : choice === 'hide';
		if (choice !== null) await this.container.mileage.setPublicHidden(guildId, user.id, hidden);
		const published = this.container.plugins.settings<MileageSettings>(guildId, 'mileage').publicLeaderboard;
		return interaction.reply({
			content: privacyReply(hidden, choice !== null, published),
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #history(interaction: Command.ChatInputCommandInteraction<'cached'>) {
		const user = interaction.options.getUser('user') ?? interaction.user;
		const limit = interaction.options.getInteger('limit') ?? HISTORY_DEFAULT;
		const entries = await this.container.mileage.history(interaction.guildId, user.id, limit);
		return interaction.reply({ embeds: [historyEmbed(user.id, entries)], flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
	}
}
