import type { Command } from '@sapphire/framework';
import { MessageFlags } from 'discord.js';
import { ManagerCommand } from '../../../core/commands.ts';
import { MAX_ADJUST } from '../lib/errors.ts';
import { formatDelta, formatPoints, progressText, throttleProgress, tierChoice, tierListEmbed } from '../lib/render.ts';
import { assertAdjustable } from '../lib/service.ts';
import type { LeaderboardTarget } from '../lib/store.ts';

type Interaction = Command.ChatInputCommandInteraction<'cached'>;

const NOTE_MAX = 200;
const TOTALS_PAGE = 1_000;

/**
 * `/mileage-admin adjust|reverse|tiers …|rebuild`: server managers only, by `default_member_permissions`
 * (Discord hides it from members) and by `requiredUserPermissions` (a stale or forged call is refused too).
 * Every refusal is a {@link MileageError} thrown before anything is written.
 */
export class MileageAdminCommand extends ManagerCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, {
			...options,
			name: 'mileage-admin',
			description: 'Adjust and reverse mileage, manage tier roles, rebuild totals'
		});
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) =>
			this.managerBuilder(builder)
				.addSubcommand((sub) =>
					sub
						.setName('adjust')
						.setDescription('Give or take points, with a reason (written to the ledger)')
						.addUserOption((o) => o.setName('user').setDescription('Member').setRequired(true))
						.addIntegerOption((o) =>
							o
								.setName('points')
								.setDescription(`Points to add (negative to take), not 0, at most ${formatPoints(MAX_ADJUST)} either way`)
								.setMinValue(-MAX_ADJUST)
								.setMaxValue(MAX_ADJUST)
								.setRequired(true)
						)
						.addStringOption((o) => o.setName('reason').setDescription('Why').setMinLength(1).setMaxLength(NOTE_MAX).setRequired(true))
				)
				.addSubcommand((sub) =>
					sub
						.setName('reverse')
						.setDescription('Undo a ledger entry (once), with a reason')
						.addIntegerOption((o) =>
							o.setName('event').setDescription('Event number from /mileage history').setMinValue(1).setRequired(true)
						)
						.addStringOption((o) => o.setName('reason').setDescription('Why').setMinLength(1).setMaxLength(NOTE_MAX).setRequired(true))
				)
				.addSubcommandGroup((group) =>
					group
						.setName('tiers')
						.setDescription('Roles granted at point thresholds')
						.addSubcommand((sub) =>
							sub
								.setName('add')
								.setDescription('Grant a role from a number of points')
								.addStringOption((o) => o.setName('name').setDescription('Tier name').setMinLength(1).setMaxLength(50).setRequired(true))
								.addIntegerOption((o) =>
									o.setName('threshold').setDescription('Points needed').setMinValue(1).setMaxValue(1_000_000_000).setRequired(true)
								)
								.addRoleOption((o) => o.setName('role').setDescription('Role granted').setRequired(true))
								.addBooleanOption((o) =>
									o
										.setName('confirm')
										.setDescription('Use a role with moderator or admin permissions anyway (everyone who reaches it gets them)')
								)
						)
						.addSubcommand((sub) =>
							sub
								.setName('remove')
								.setDescription('Remove a tier')
								.addIntegerOption((o) => o.setName('tier').setDescription('Tier').setAutocomplete(true).setRequired(true))
						)
						.addSubcommand((sub) => sub.setName('list').setDescription('Show the tiers and what keeps a role from being assigned'))
						.addSubcommand((sub) => sub.setName('sync').setDescription('Re-check the tier roles of every member'))
				)
				.addSubcommand((sub) => sub.setName('rebuild').setDescription('Recompute every total from the ledger'))
		);
	}

	public override async autocompleteRun(interaction: Command.AutocompleteInteraction) {
		const query = String(interaction.options.getFocused()).toLowerCase();
		const tiers = interaction.guildId ? this.container.mileageTiers.list(interaction.guildId) : [];
		const choices = tiers
			.filter((tier) => tier.name.toLowerCase().includes(query) || String(tier.id) === query || String(tier.threshold).includes(query))
			.slice(0, 25)
			.map(tierChoice);
		return interaction.respond(choices);
	}

	public override async chatInputRun(interaction: Interaction) {
		const group = interaction.options.getSubcommandGroup(false);
		const sub = interaction.options.getSubcommand(true);
		if (group === 'tiers') {
			switch (sub) {
				case 'add':
					return this.#tierAdd(interaction);
				case 'remove':
					return this.#tierRemove(interaction);
				case 'list':
					return this.#tierList(interaction);
				case 'sync':
					return this.#tierSync(interaction);
			}
		}
		switch (sub) {
			case 'adjust':
				return this.#adjust(interaction);
			case 'reverse':
				return this.#reverse(interaction);
			case 'rebuild':
				return this.#rebuild(interaction);
		}
		throw new Error(`unhandled /mileage-admin ${group ?? ''} ${sub}`);
	}

	async #adjust(interaction: Interaction) {
		const user = interaction.options.getUser('user', true);
		assertAdjustable(user);
		const points = interaction.options.getInteger('points', true);
		const reason = interaction.options.getString('reason', true).trim();
		const { entry, change } = await this.container.mileage.adjust(interaction.guildId, user.id, points, reason, interaction.user.id);
		return interaction.reply({
			content: `Event #${entry.id}: ${formatDelta(points)} points for <@${user.id}> (${formatPoints(change.before)} → ${formatPoints(change.after)}) — “${entry.note}”.`,
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #reverse(interaction: Interaction) {
		const eventId = interaction.options.getInteger('event', true);
		const reason = interaction.options.getString('reason', true).trim();
		const { entry, change } = await this.container.mileage.reverse(interaction.guildId, eventId, reason, interaction.user.id);
		return interaction.reply({
			content: `Event #${entry.id} reverses #${eventId}: ${formatDelta(entry.delta)} points for <@${entry.userId}> (${formatPoints(change.before)} → ${formatPoints(change.after)}).`,
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #tierAdd(interaction: Interaction) {
		const role = interaction.options.getRole('role', true);
		const input = {
			name: interaction.options.getString('name', true).trim(),
			threshold: interaction.options.getInteger('threshold', true),
			roleId: role.id
		};
		// Checked before deferring (the same check as the route), so a refusal is an ordinary ephemeral error and
		// nothing is written.
		this.container.mileageTiers.checkNew(interaction.guildId, input, { confirm: interaction.options.getBoolean('confirm') ?? false });
		const tier = await this.container.mileageTiers.add(interaction.guildId, input);
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const result = await this.#syncAll(interaction);
		const added = this.container.mileageTiers.list(interaction.guildId).find((t) => t.id === tier.id) ?? tier;
		const problem = added.problem ? `\n⚠️ The role cannot be assigned: ${added.problem}.` : '';
		return interaction.editReply({
			content: `Tier #${tier.id} **${tier.name}**: ${formatPoints(tier.threshold)} points → <@&${tier.roleId}>. ${this.#syncSummary(result)}${problem}`,
			allowedMentions: { parse: [] }
		});
	}

	async #tierRemove(interaction: Interaction) {
		const tier = await this.container.mileageTiers.remove(interaction.guildId, interaction.options.getInteger('tier', true));
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const result = await this.#syncAll(interaction);
		return interaction.editReply({
			content: `Tier #${tier.id} **${tier.name}** removed (members keep <@&${tier.roleId}> until someone removes it). ${this.#syncSummary(result)}`,
			allowedMentions: { parse: [] }
		});
	}

	#tierList(interaction: Interaction) {
		return interaction.reply({
			embeds: [
				tierListEmbed(this.container.mileageTiers.list(interaction.guildId), (tier) =>
					this.container.mileageTiers.dangerOf(interaction.guildId, tier.roleId)
				)
			],
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #tierSync(interaction: Interaction) {
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const result = await this.#syncAll(interaction, 'Syncing tier roles…');
		const problems = this.container.mileageTiers.list(interaction.guildId).filter((tier) => tier.problem);
		const lines = problems.map((tier) => `⚠️ **${tier.name}** (<@&${tier.roleId}>) cannot be assigned: ${tier.problem}.`);
		return interaction.editReply({ content: [this.#syncSummary(result), ...lines].join('\n'), allowedMentions: { parse: [] } });
	}

	async #rebuild(interaction: Interaction) {
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const progress = throttleProgress((done, total) =>
			interaction.editReply({ content: `Rebuilding totals from the ledger… ${progressText(done, total)} members` })
		);
		const { members, changed } = await this.container.mileage.rebuild(interaction.guildId, progress);
		return interaction.editReply({
			content: `Rebuilt the totals of ${formatPoints(members)} member${members === 1 ? '' : 's'} from the ledger: ${formatPoints(changed)} total${changed === 1 ? '' : 's'} changed.`
		});
	}

	/** Every member's stored total (after a flush), then a sync of every member's tier roles. */
	async #syncAll(interaction: Interaction, label?: string) {
		const { mileage, mileageTiers } = this.container;
		await mileage.flush(true);
		const totals = new Map<string, number>();
		// Walked by cursor: exact whatever the rank table's age (a page number is placed by it).
		for (let target: LeaderboardTarget = 1; ; ) {
			const view = await mileage.leaderboard(interaction.guildId, target, TOTALS_PAGE);
			for (const entry of view.entries) totals.set(entry.userId, entry.points);
			if (!view.next) break;
			target = { after: view.next };
		}
		const progress = label
			? throttleProgress((done, total) => interaction.editReply({ content: `${label} ${progressText(done, total)} members` }))
			: undefined;
		return mileageTiers.sync(interaction.guildId, totals, progress);
	}

	#syncSummary(result: { members: number; changed: number }) {
		return `Checked ${formatPoints(result.members)} member${result.members === 1 ? '' : 's'}: ${formatPoints(result.changed)} had their roles changed.`;
	}
}
