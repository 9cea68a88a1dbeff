import type { Command } from '@sapphire/framework';
import {
	ActionRowBuilder,
	AttachmentBuilder,
	ButtonBuilder,
	ButtonStyle,
	ChannelType,
	MessageFlags,
	type SlashCommandSubcommandGroupBuilder
} from 'discord.js';
import { ManagerCommand } from '../../../core/commands.ts';
import { CATCH_UP_POLICIES, FEED_FORMATS } from '../entities/DailiesFeed.ts';
import { DailiesError, DailiesIdentifiers } from '../lib/errors.ts';
import { PENDING_ADD_PREFIX, PendingAdds } from '../lib/pending.ts';
import { autocompletePost, postSubcommandGroup, runPostCommand } from '../lib/posts/command.ts';
import { type MessagePayload, truncate } from '../lib/render.ts';
import type { FeedInput } from '../lib/service.ts';
import { feedListMessage, feedLogMessage } from '../lib/views.ts';

type Interaction = Command.ChatInputCommandInteraction<'cached'>;

const feedOption = (sub: import('discord.js').SlashCommandSubcommandBuilder) =>
	sub.addIntegerOption((o) =>
		o.setName('feed').setDescription('Feed (number from /dailies feed list)').setMinValue(1).setAutocomplete(true).setRequired(true)
	);

/** Comma-separated keywords of an option. */
const keywords = (value: string | null) =>
	value
		?.split(',')
		.map((word) => word.trim())
		.filter(Boolean) ?? [];

/** Adds to a reply what a payload shows, without changing the payload (a preview is the post). */
function previewReply(header: string, payload: MessagePayload | null) {
	if (!payload) return { content: truncate(`${header}\nThe feed has no items yet.`, 2000), embeds: [] };
	if (payload.embeds) return { content: truncate(header, 2000), embeds: payload.embeds };
	return { content: truncate(`${header}\n────────\n${payload.content ?? ''}`, 2000), embeds: [] };
}

/**
 * `/dailies feed add|list|remove|preview|resume|log|opml-export|opml-import` (and the daily posts' `post` group):
 * server managers only (ManagerCommand). Pieces stay thin: parse options, call the feed service, render.
 */
export class DailiesCommand extends ManagerCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, { ...options, name: 'dailies', description: 'Feeds posted into channels, and daily posts' });
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) =>
			this.managerBuilder(builder)
				.addSubcommandGroup((group) => this.#feedGroup(group))
				// The daily posts' group: its builder and handler live in lib/posts/command.ts.
				.addSubcommandGroup(postSubcommandGroup)
		);
	}

	#feedGroup(group: SlashCommandSubcommandGroupBuilder) {
		return group
			.setName('feed')
			.setDescription('RSS, Atom, JSON Feed and YouTube feeds posted into channels')
			.addSubcommand((sub) =>
				sub
					.setName('add')
					.setDescription('Fetch a feed once, preview its newest item, then confirm to follow it')
					.addStringOption((o) =>
						o.setName('url').setDescription('Feed URL, YouTube channel URL, @handle or channel id').setMaxLength(2048).setRequired(true)
					)
					.addChannelOption((o) =>
						o
							.setName('channel')
							.setDescription('Where to post (default: this channel)')
							.addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement)
					)
					.addStringOption((o) =>
						o.setName('template').setDescription('Message with {title} {link} {author} {published} {summary} {feed}').setMaxLength(4000)
					)
					.addStringOption((o) =>
						o
							.setName('format')
							.setDescription('Embed (default) or plain text')
							.addChoices(...FEED_FORMATS.map((format) => ({ name: format, value: format })))
					)
					.addStringOption((o) =>
						o.setName('include').setDescription('Only items with one of these words (comma-separated)').setMaxLength(1000)
					)
					.addStringOption((o) =>
						o.setName('exclude').setDescription('Never items with one of these words (comma-separated)').setMaxLength(1000)
					)
					.addStringOption((o) =>
						o
							.setName('catch-up')
							.setDescription('Past 5 new items in one poll: one digest (default) or skip the rest')
							.addChoices(...CATCH_UP_POLICIES.map((policy) => ({ name: policy, value: policy })))
					)
			)
			.addSubcommand((sub) => sub.setName('list').setDescription('Feeds of this server with their health'))
			.addSubcommand((sub) => feedOption(sub.setName('remove').setDescription('Stop following a feed')))
			.addSubcommand((sub) => feedOption(sub.setName('preview').setDescription('Show the newest item exactly as it would be posted')))
			.addSubcommand((sub) => feedOption(sub.setName('resume').setDescription('Resume a paused feed')))
			.addSubcommand((sub) => feedOption(sub.setName('log').setDescription('The last polls, and why each item was or was not posted')))
			.addSubcommand((sub) => sub.setName('opml-export').setDescription("Download this server's feeds as an OPML file"))
			.addSubcommand((sub) =>
				sub
					.setName('opml-import')
					.setDescription('Follow the feeds of an OPML file (nothing old is posted)')
					.addAttachmentOption((o) => o.setName('file').setDescription('The OPML file'))
					.addStringOption((o) => o.setName('url').setDescription('…or the URL of an OPML file').setMaxLength(2048))
					.addChannelOption((o) =>
						o
							.setName('channel')
							.setDescription('Where feeds go whose channel this server lacks (default: this channel)')
							.addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement)
					)
			);
	}

	public override async autocompleteRun(interaction: Command.AutocompleteInteraction) {
		if (interaction.options.getSubcommandGroup(false) === 'post') return autocompletePost(interaction);
		if (!interaction.guildId) return interaction.respond([]);
		const query = String(interaction.options.getFocused()).toLowerCase();
		const feeds = await this.container.dailiesFeeds.list(interaction.guildId);
		return interaction.respond(
			feeds
				.filter((feed) => String(feed.id) === query || (feed.title ?? feed.url).toLowerCase().includes(query))
				.slice(0, 25)
				.map((feed) => ({ name: truncate(`#${feed.id} ${feed.title ?? feed.url}`, 100), value: feed.id }))
		);
	}

	public override async chatInputRun(interaction: Interaction) {
		const group = interaction.options.getSubcommandGroup(false);
		const sub = interaction.options.getSubcommand(true);
		if (group === 'feed') {
			switch (sub) {
				case 'add':
					return this.#add(interaction);
				case 'list':
					return this.#list(interaction);
				case 'remove':
					return this.#remove(interaction);
				case 'preview':
					return this.#preview(interaction);
				case 'resume':
					return this.#resume(interaction);
				case 'log':
					return this.#log(interaction);
				case 'opml-export':
					return this.#export(interaction);
				case 'opml-import':
					return this.#import(interaction);
			}
		}
		if (group === 'post') return runPostCommand(interaction);
		throw new Error(`unhandled /dailies ${group ?? ''} ${sub}`);
	}

	async #add(interaction: Interaction) {
		const service = this.container.dailiesFeeds;
		const format = interaction.options.getString('format') as FeedInput['format'] | null;
		const catchUp = interaction.options.getString('catch-up') as FeedInput['catchUp'] | null;
		const template = interaction.options.getString('template');
		const input: FeedInput = {
			url: interaction.options.getString('url', true).trim(),
			channelId: interaction.options.getChannel('channel')?.id ?? interaction.channelId,
			...(template !== null ? { template } : {}),
			...(format ? { format } : {}),
			include: keywords(interaction.options.getString('include')),
			exclude: keywords(interaction.options.getString('exclude')),
			...(catchUp ? { catchUp } : {})
		};
		// Checks that need no network come first, so a bad template is refused before anything is fetched.
		service.checkInput(interaction.guildId, input);
		await service.checkLimit(interaction.guildId);
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const inspection = await service.inspect(input.url);
		const token = await this.#pending().put(interaction.guildId, interaction.user.id, input);
		const header = [
			`**${truncate(inspection.title ?? inspection.url, 200)}** (${inspection.kind}, ${inspection.items} item${inspection.items === 1 ? '' : 's'}) → <#${input.channelId}>`,
			inspection.newest
				? 'Its newest item, as it will be posted. **Add feed** follows it: everything in it now counts as seen and only this item is posted.'
				: 'It has no items yet. **Add feed** follows it.'
		].join('\n');
		const buttons = new ActionRowBuilder<ButtonBuilder>().addComponents(
			new ButtonBuilder().setCustomId(`${PENDING_ADD_PREFIX}:confirm:${token}`).setLabel('Add feed').setStyle(ButtonStyle.Primary),
			new ButtonBuilder().setCustomId(`${PENDING_ADD_PREFIX}:cancel:${token}`).setLabel('Cancel').setStyle(ButtonStyle.Secondary)
		);
		return interaction.editReply({
			...previewReply(header, service.previewInput(interaction.guildId, input, inspection)),
			components: [buttons],
			allowedMentions: { parse: [] }
		});
	}

	async #list(interaction: Interaction) {
		const feeds = await this.container.dailiesFeeds.list(interaction.guildId);
		return interaction.reply({
			...feedListMessage(feeds, this.container.dailiesFeeds.options.maxFeeds),
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #remove(interaction: Interaction) {
		const feed = await this.container.dailiesFeeds.remove(interaction.guildId, interaction.options.getInteger('feed', true));
		return interaction.reply({
			content: `Stopped following #${feed.id} ${truncate(feed.title ?? feed.url, 200)}. Adding it again later posts nothing already seen.`,
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #preview(interaction: Interaction) {
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const { feed, payload, filtered } = await this.container.dailiesFeeds.preview(
			interaction.guildId,
			interaction.options.getInteger('feed', true)
		);
		const header = `Newest item of #${feed.id} ${truncate(feed.title ?? feed.url, 200)}, exactly as it would be posted in <#${feed.channelId}>${filtered ? ` (the filters keep it out: it ${filtered})` : ''}:`;
		return interaction.editReply({ ...previewReply(header, payload), allowedMentions: { parse: [] } });
	}

	async #resume(interaction: Interaction) {
		const feed = await this.container.dailiesFeeds.resume(interaction.guildId, interaction.options.getInteger('feed', true));
		return interaction.reply({
			content: `Resumed #${feed.id} ${truncate(feed.title ?? feed.url, 200)}: it is polled within a minute, and new items are posted (at most 5, then a digest).`,
			flags: MessageFlags.Ephemeral,
			allowedMentions: { parse: [] }
		});
	}

	async #log(interaction: Interaction) {
		const { feed, polls } = await this.container.dailiesFeeds.log(interaction.guildId, interaction.options.getInteger('feed', true), 10);
		return interaction.reply({ ...feedLogMessage(feed, polls), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
	}

	async #export(interaction: Interaction) {
		const opml = await this.container.dailiesFeeds.exportOpml(interaction.guildId, interaction.guild.name);
		const feeds = (opml.match(/<outline /g) ?? []).length;
		return interaction.reply({
			content: `${feeds} feed${feeds === 1 ? '' : 's'} of this server as OPML (import it with \`/dailies feed opml-import\` here or elsewhere).`,
			files: [new AttachmentBuilder(Buffer.from(opml, 'utf8'), { name: `feeds-${interaction.guildId}.opml` })],
			flags: MessageFlags.Ephemeral
		});
	}

	async #import(interaction: Interaction) {
		const file = interaction.options.getAttachment('file');
		const url = interaction.options.getString('url');
		if (!file && !url) {
			throw new DailiesError(DailiesIdentifiers.InvalidOpml, 'Give the OPML file (`file`) or its URL (`url`).', { field: 'file' });
		}
		await interaction.deferReply({ flags: MessageFlags.Ephemeral });
		const service = this.container.dailiesFeeds;
		const opml = await service.fetchText(file?.url ?? url!);
		const defaultChannelId = interaction.options.getChannel('channel')?.id ?? interaction.channelId;
		const { imported, skipped } = await service.importOpml(interaction.guildId, opml, { defaultChannelId }, interaction.user.id);
		const lines = [
			`Imported ${imported.length} feed${imported.length === 1 ? '' : 's'}; nothing old is posted (each feed's first poll marks what is there as seen).`
		];
		if (skipped.length) lines.push(`Skipped ${skipped.length} already followed.`);
		return interaction.editReply({ content: lines.join('\n'), allowedMentions: { parse: [] } });
	}

	#pending(): PendingAdds {
		return new PendingAdds(this.container.redis, String(this.container.orm.config.get('dbName') ?? ''));
	}
}
