import { InteractionHandler, InteractionHandlerTypes } from '@sapphire/framework';
import type { ButtonInteraction } from 'discord.js';
import { deliverError, type ErrorReplyTarget, FacetError, FacetIdentifiers, identify } from '../../../core/errors.ts';
import { pieceActiveIn } from '../../../core/plugins/gate.ts';
import { MileageError, MileageIdentifiers } from '../lib/errors.ts';
import { LEADERBOARD_PAGE_SIZE, LEADERBOARD_PREFIX, leaderboardMessage, parseLeaderboardCustomId } from '../lib/render.ts';

/** The leaderboard's Previous/Next buttons: edits the message to the page the button names. */
export class MileageLeaderboardButtons extends InteractionHandler {
	public constructor(context: InteractionHandler.LoaderContext, options: InteractionHandler.Options) {
		super(context, { ...options, name: 'mileageLeaderboard', interactionHandlerType: InteractionHandlerTypes.Button });
	}

	public override parse(interaction: ButtonInteraction) {
		return interaction.customId.startsWith(`${LEADERBOARD_PREFIX}:`) ? this.some() : this.none();
	}

	public override async run(interaction: ButtonInteraction) {
		try {
			await this.#page(interaction);
		} catch (error) {
			// Interaction handlers have no error listener of the core; render and deliver through the same one function.
			if (!identify(error)) {
				this.container.log.error({ err: error, piece: this.name, guildId: interaction.guildId }, 'leaderboard button failed');
			}
			await deliverError(interaction as unknown as ErrorReplyTarget, error, {
				piece: this.name,
				logger: this.container.log,
				afterDeferral: 'followUp'
			});
		}
	}

	async #page(interaction: ButtonInteraction) {
		const guildId = interaction.guildId;
		// Throws for a button made in another server or pointing before page 1.
		const { page } = parseLeaderboardCustomId(interaction.customId, guildId)!;
		if (!guildId || !interaction.inCachedGuild()) {
			throw new FacetError(FacetIdentifiers.GuildOnly, 'This button only works in a server.');
		}
		if (!pieceActiveIn(this, guildId)) {
			throw new FacetError(
				FacetIdentifiers.PluginDisabled,
				'The **mileage** plugin is turned off in this server. A server manager can turn it on with `/plugins enable mileage` or in the dashboard.',
				{ plugin: 'mileage' }
			);
		}
		const view = await this.container.mileage.leaderboard(guildId, page, LEADERBOARD_PAGE_SIZE);
		if (page > view.pages) {
			throw new MileageError(MileageIdentifiers.InvalidPage, `The leaderboard has ${view.pages} page${view.pages === 1 ? '' : 's'} now.`, {
				page,
				pages: view.pages
			});
		}
		await interaction.update(leaderboardMessage(guildId, interaction.guild.name, view));
	}
}
