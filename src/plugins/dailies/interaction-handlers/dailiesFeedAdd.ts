import { InteractionHandler, InteractionHandlerTypes } from '@sapphire/framework';
import { type ButtonInteraction, MessageFlags, PermissionFlagsBits } from 'discord.js';
import { deliverError, type ErrorReplyTarget, FacetError, FacetIdentifiers, identify } from '../../../core/errors.ts';
import { pieceActiveIn } from '../../../core/plugins/gate.ts';
import { DailiesError, DailiesIdentifiers } from '../lib/errors.ts';
import { PENDING_ADD_PREFIX, PendingAdds } from '../lib/pending.ts';
import { truncate } from '../lib/render.ts';

/** The Add feed / Cancel buttons of `/dailies feed add`: saves the previewed feed (once), or drops it. */
export class DailiesFeedAddButtons extends InteractionHandler {
	public constructor(context: InteractionHandler.LoaderContext, options: InteractionHandler.Options) {
		super(context, { ...options, name: 'dailiesFeedAdd', interactionHandlerType: InteractionHandlerTypes.Button });
	}

	public override parse(interaction: ButtonInteraction) {
		return interaction.customId.startsWith(`${PENDING_ADD_PREFIX}:`) ? this.some() : this.none();
	}

	public override async run(interaction: ButtonInteraction) {
		try {
			await this.#press(interaction);
		} catch (error) {
			// Interaction handlers have no error listener of the core; render and deliver through the same one function.
			if (!identify(error))
				this.container.log.error({ err: error, piece: this.name, guildId: interaction.guildId }, 'feed add button failed');
			await deliverError(interaction as unknown as ErrorReplyTarget, error, {
				piece: this.name,
				logger: this.container.log,
				afterDeferral: 'edit'
			});
		}
	}

	async #press(interaction: ButtonInteraction) {
		const [, action, token] = interaction.customId.split(':');
		const guildId = interaction.guildId;
		if (!guildId || !interaction.inCachedGuild()) throw new FacetError(FacetIdentifiers.GuildOnly, 'This button only works in a server.');
		if (!pieceActiveIn(this, guildId)) {
			throw new FacetError(
				FacetIdentifiers.PluginDisabled,
				'The **dailies** plugin is turned off in this server. A server manager can turn it on with `/plugins enable dailies` or in the dashboard.',
				{
					plugin: 'dailies'
				}
			);
		}
		if (!interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
			throw new DailiesError(DailiesIdentifiers.ManagersOnly, 'Only members with Manage Server can add feeds.');
		}
		const pending = await new PendingAdds(this.container.redis, String(this.container.orm.config.get('dbName') ?? '')).take(token ?? '');
		if (!pending || pending.guildId !== guildId) {
			return interaction.reply({
				content: 'This preview expired or was already used: run `/dailies feed add` again.',
				flags: MessageFlags.Ephemeral
			});
		}
		if (action === 'cancel') return interaction.update({ content: 'Not added.', embeds: [], components: [] });
		await interaction.deferUpdate();
		const { feed, postedMessageId } = await this.container.dailiesFeeds.add(guildId, pending.input, interaction.user.id);
		return interaction.editReply({
			content: `Following #${feed.id} **${truncate(feed.title ?? feed.url, 200)}** in <#${feed.channelId}>, every ${Math.round(feed.intervalSeconds / 60)} minutes.${postedMessageId ? ' Its newest item was posted.' : ' Nothing was posted (its newest item was seen before or filtered).'}`,
			embeds: [],
			components: [],
			allowedMentions: { parse: [] }
		});
	}
}
