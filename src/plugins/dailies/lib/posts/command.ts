import { container } from '@sapphire/framework';
import {
	type AutocompleteInteraction,
	type ChatInputCommandInteraction,
	EmbedBuilder,
	MessageFlags,
	type SlashCommandSubcommandBuilder,
	type SlashCommandSubcommandGroupBuilder
} from 'discord.js';
import { POST_CHANNEL_TYPES, postChannelProblem } from './channels.ts';
import { invalidPost } from './errors.ts';
import { type PostInput, parsePostInput, splitPrompts } from './input.ts';
import { MESSAGE_MAX } from './render.ts';
import { describeWeekdays, formatLocal, formatTimeOfDay } from './schedule.ts';
import type { DailyPost, NextRun } from './service.ts';

/*
 * The `post` subcommand group of `/dailies` (the command itself lives in commands/dailies.ts, which also holds the
 * feeds' group): builder, handler and autocomplete, so the command piece only wires them in.
 */

type Interaction = ChatInputCommandInteraction<'cached'>;

/** Option names of the command, by the field names of {@link PostInput} (field errors are shown with these). */
const OPTION_OF: Record<string, string> = {
	time: 'time',
	message: 'message/prompts',
	prompts: 'prompts',
	weekdays: 'weekdays',
	channelId: 'channel',
	timeZone: 'timezone'
};

/** Adds the `post` group: add, list, remove, preview, skip-next. */
export function postSubcommandGroup(group: SlashCommandSubcommandGroupBuilder): SlashCommandSubcommandGroupBuilder {
	const postOption = (sub: SlashCommandSubcommandBuilder) =>
		sub.addIntegerOption((o) => o.setName('post').setDescription('Daily post').setMinValue(1).setAutocomplete(true).setRequired(true));
	return group
		.setName('post')
		.setDescription('Messages or rotating prompts posted at a time of day')
		.addSubcommand((sub) =>
			sub
				.setName('add')
				.setDescription('Post a message (or rotating prompts) every day at a local time')
				.addStringOption((o) =>
					o.setName('time').setDescription('Time of day, HH:MM (24-hour), e.g. 09:00').setMaxLength(5).setRequired(true)
				)
				.addStringOption((o) => o.setName('message').setDescription('The message to post').setMaxLength(MESSAGE_MAX))
				.addStringOption((o) =>
					o.setName('prompts').setDescription('Prompts separated by | — one per day, none repeats until all were posted').setMaxLength(6000)
				)
				.addStringOption((o) =>
					o.setName('weekdays').setDescription('e.g. mon-fri, weekends, mon,wed,fri (default: every day)').setMaxLength(100)
				)
				.addChannelOption((o) =>
					o
						.setName('channel')
						.setDescription('Where to post (default: the daily channel)')
						.addChannelTypes(...POST_CHANNEL_TYPES)
				)
				.addStringOption((o) =>
					o.setName('timezone').setDescription('IANA time zone, e.g. Europe/Berlin (default: the server’s)').setMaxLength(64)
				)
		)
		.addSubcommand((sub) => sub.setName('list').setDescription('The daily posts and when each goes out next'))
		.addSubcommand((sub) => postOption(sub.setName('remove').setDescription('Delete a daily post')))
		.addSubcommand((sub) => postOption(sub.setName('preview').setDescription('Show exactly what the next run will post')))
		.addSubcommand((sub) => postOption(sub.setName('skip-next').setDescription('Skip the next run of a daily post')));
}

/** Runs `/dailies post <sub>`. */
export async function runPostCommand(interaction: Interaction): Promise<unknown> {
	switch (interaction.options.getSubcommand(true)) {
		case 'add':
			return add(interaction);
		case 'list':
			return list(interaction);
		case 'remove':
			return remove(interaction);
		case 'preview':
			return preview(interaction);
		case 'skip-next':
			return skipNext(interaction);
	}
	throw new Error(`unhandled /dailies post ${interaction.options.getSubcommand(true)}`);
}

/** Autocomplete for the `post` option: the guild's posts by number, time and text. */
export async function autocompletePost(interaction: AutocompleteInteraction): Promise<void> {
	const query = String(interaction.options.getFocused()).toLowerCase();
	const posts = interaction.guildId ? await container.dailiesPosts.list(interaction.guildId) : [];
	const choices = posts
		.map((post) => ({ name: choiceName(post), value: post.id }))
		.filter((choice) => choice.name.toLowerCase().includes(query))
		.slice(0, 25);
	await interaction.respond(choices);
}

function choiceName(post: DailyPost): string {
	const text = post.message ?? `${post.prompts?.length ?? 0} prompts: ${post.prompts?.[0] ?? ''}`;
	return `#${post.id} ${formatTimeOfDay(post.minuteOfDay)} ${describeWeekdays(post.weekdays)} — ${text}`.slice(0, 100);
}

/** The command's options as the API's body, so both go through one validation. */
function inputOf(interaction: Interaction): PostInput {
	const message = interaction.options.getString('message');
	const prompts = interaction.options.getString('prompts');
	const weekdays = interaction.options.getString('weekdays');
	const channel = interaction.options.getChannel('channel');
	const timeZone = interaction.options.getString('timezone');
	return {
		time: interaction.options.getString('time', true),
		...(message !== null ? { message } : {}),
		...(prompts !== null ? { prompts: splitPrompts(prompts) } : {}),
		...(weekdays !== null ? { weekdays } : {}),
		...(channel ? { channelId: channel.id } : {}),
		...(timeZone !== null ? { timeZone: timeZone.trim() } : {})
	};
}

async function add(interaction: Interaction) {
	const parsed = parsePostInput(inputOf(interaction));
	if (!parsed.ok) {
		const lines = Object.entries(parsed.fields).map(([field, messages]) => {
			const [name, index] = field.split('.');
			const option = OPTION_OF[name ?? ''] ?? name;
			return `\`${option}${index !== undefined ? ` #${Number(index) + 1}` : ''}\` ${messages.join('; ')}`;
		});
		throw invalidPost(parsed.fields, `That daily post is not valid:\n${lines.join('\n')}`);
	}
	const { spec } = parsed;
	const problem = spec.channelId ? postChannelProblem(interaction.guild, spec.channelId) : null;
	if (problem) {
		throw invalidPost({ channelId: [problem] }, `<#${spec.channelId}> ${problem}.`);
	}
	const post = await container.dailiesPosts.add(interaction.guildId, spec, interaction.user.id);
	const next = await container.dailiesPosts.nextRun(post);
	return interaction.reply({
		content: `Daily post #${post.id} saved: ${describe(post)}.\nNext: ${nextText(next)}`,
		flags: MessageFlags.Ephemeral,
		allowedMentions: { parse: [] }
	});
}

async function list(interaction: Interaction) {
	const posts = await container.dailiesPosts.list(interaction.guildId);
	if (posts.length === 0) {
		return interaction.reply({ content: 'No daily posts yet: add one with `/dailies post add`.', flags: MessageFlags.Ephemeral });
	}
	const lines: string[] = [];
	for (const post of posts) {
		const next = post.enabled ? await container.dailiesPosts.nextRun(post) : null;
		const text = (post.message ?? `${post.prompts!.length} rotating prompts`).replace(/\s+/g, ' ').slice(0, 80);
		lines.push(`**#${post.id}** ${describe(post)} — ${text}\n  next: ${post.enabled ? nextText(next) : 'disabled'}`);
	}
	const embed = new EmbedBuilder()
		.setTitle('Daily posts')
		.setDescription(lines.join('\n').slice(0, 4096))
		.setFooter({ text: `${posts.length} of ${container.dailiesPosts.options.maxPostsPerGuild} allowed` });
	return interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

async function remove(interaction: Interaction) {
	const post = await container.dailiesPosts.remove(interaction.guildId, interaction.options.getInteger('post', true));
	return interaction.reply({
		content: `Daily post #${post.id} removed (${describe(post)}).`,
		flags: MessageFlags.Ephemeral,
		allowedMentions: { parse: [] }
	});
}

async function preview(interaction: Interaction) {
	const view = await container.dailiesPosts.preview(interaction.guildId, interaction.options.getInteger('post', true));
	const where = view.channelId ? `<#${view.channelId}>` : 'no channel (set the daily channel or give the post one)';
	const info = new EmbedBuilder()
		.setTitle(`Preview of daily post #${view.post.id}`)
		.setDescription(`Goes to ${where}\nNext: ${nextText(view.next ? { ...view.next, timeZone: view.timeZone, skipped: false } : null)}`);
	// The content is exactly the payload the sender posts; only the embed around it is the preview's own.
	return interaction.reply({
		content: view.payload.content ?? '',
		embeds: [info],
		flags: MessageFlags.Ephemeral,
		allowedMentions: { parse: [] }
	});
}

async function skipNext(interaction: Interaction) {
	const postId = interaction.options.getInteger('post', true);
	const skipped = await container.dailiesPosts.skipNext(interaction.guildId, postId, interaction.user.id);
	const post = await container.dailiesPosts.get(interaction.guildId, postId);
	const next = await container.dailiesPosts.nextRun(post);
	const zone = container.dailiesPosts.timeZoneOf(post);
	return interaction.reply({
		content: `Skipped the run of ${formatLocal(skipped.at, zone)}. Next: ${nextText(next)}`,
		flags: MessageFlags.Ephemeral,
		allowedMentions: { parse: [] }
	});
}

/** `09:00 on weekdays (Europe/Berlin) in #daily`. */
function describe(post: DailyPost): string {
	const zone = container.dailiesPosts.timeZoneOf(post);
	const channel = post.channelId ? `<#${post.channelId}>` : 'the daily channel';
	return `${formatTimeOfDay(post.minuteOfDay)} ${describeWeekdays(post.weekdays) === 'every day' ? 'every day' : `on ${describeWeekdays(post.weekdays)}`} (${zone}${post.timeZone ? '' : ', the server’s zone'}) in ${channel}`;
}

/** The next run in the post's local time, and in the reader's own through a Discord timestamp. */
function nextText(next: NextRun | null): string {
	if (!next) return 'never (no weekday selected)';
	const unix = Math.floor(next.at.getTime() / 1000);
	return `${formatLocal(next.at, next.timeZone)} — <t:${unix}:F>, <t:${unix}:R>`;
}
