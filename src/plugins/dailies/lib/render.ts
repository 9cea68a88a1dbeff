import { decode } from 'html-entities';
import type { FeedFormat } from '../entities/DailiesFeed.ts';
import type { FeedItem } from './parse.ts';

/** The placeholders a feed template may use. */
export const PLACEHOLDERS = ['title', 'link', 'author', 'published', 'summary', 'feed'] as const;

/** Discord's limits a rendered message is truncated to. */
export const DiscordLimits = {
	content: 2000,
	embedTitle: 256,
	embedDescription: 4096,
	embedAuthor: 256,
	embedFooter: 2048,
	/** All of an embed's text together. */
	embedTotal: 6000,
	url: 2048
} as const;

/** Longest summary `{summary}` expands to. */
export const SUMMARY_MAX = 500;

/** The template used when a feed has none. */
export const DEFAULT_TEMPLATES: Record<FeedFormat, string> = {
	text: '**{feed}**: {title}\n{link}',
	embed: '{summary}'
};

/** A message body as Discord's create-message takes it. Mentions are never parsed: a feed cannot ping. */
export interface MessagePayload {
	content?: string;
	embeds?: {
		title?: string;
		url?: string;
		description?: string;
		author?: { name: string };
		footer?: { text: string };
		timestamp?: string;
	}[];
	allowed_mentions: { parse: [] };
}

/** What a template is rendered for: the feed's name and the guild's time zone and locale. */
export interface RenderContext {
	feedTitle: string;
	timeZone: string;
	locale: string;
}

/** Why a template is refused (unknown placeholder, too long); null when it is fine. */
export function templateProblem(template: string, format: FeedFormat): string | null {
	const unknown = [...template.matchAll(/\{(\w*)\}/g)]
		.map((m) => m[1]!)
		.filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
	if (unknown.length) {
		return `unknown placeholder {${unknown[0]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`;
	}
	const limit = format === 'text' ? DiscordLimits.content : DiscordLimits.embedDescription;
	if (template.length > limit)
		return `is ${template.length} characters; Discord allows ${limit} in ${format === 'text' ? 'a message' : 'an embed'}`;
	if (template.trim() === '') return 'is empty';
	return null;
}

/** Truncates to `max` characters (code points), ending with an ellipsis when cut. */
export function truncate(value: string, max: number): string {
	const chars = Array.from(value);
	if (chars.length <= max) return value;
	return `${chars
		.slice(0, max - 1)
		.join('')
		.trimEnd()}…`;
}

/** Text of an HTML fragment: tags dropped, entities decoded, blank runs collapsed. */
export function stripHtml(html: string): string {
	const withBreaks = html
		.replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
		.replace(/<br\s*\/?>/gi, '\n')
		.replace(/<\/(p|div|li|h\d)>/gi, '\n')
		.replace(/<[^>]*>/g, '');
	return decode(withBreaks)
		.replace(/[ \t\u00a0]+/g, ' ')
		.replace(/\s*\n\s*/g, '\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

function formatDate(date: Date | null, context: RenderContext): string {
	if (!date) return '';
	try {
		return new Intl.DateTimeFormat(context.locale, {
			timeZone: context.timeZone,
			year: 'numeric',
			month: 'short',
			day: 'numeric',
			hour: '2-digit',
			minute: '2-digit',
			timeZoneName: 'short'
		}).format(date);
	} catch {
		return date.toISOString();
	}
}

function values(item: FeedItem, context: RenderContext): Record<(typeof PLACEHOLDERS)[number], string> {
	return {
		title: item.title ? stripHtml(item.title) : '(untitled)',
		link: item.link ?? '',
		author: item.author ?? '',
		published: formatDate(item.published, context),
		summary: item.summary ? truncate(stripHtml(item.summary), SUMMARY_MAX) : '',
		feed: context.feedTitle
	};
}

/** Replaces the placeholders of a (checked) template. */
export function fillTemplate(template: string, item: FeedItem, context: RenderContext): string {
	const filled = values(item, context);
	return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in filled ? filled[name as keyof typeof filled] : whole));
}

const httpUrl = (value: string | null) => (value && /^https?:\/\//i.test(value) && value.length <= DiscordLimits.url ? value : undefined);

/**
 * The message a feed item is posted as — the one function both the poller and every preview call, so a preview
 * is the post. Everything is truncated to Discord's limits; rendering never fails for length.
 */
export function renderItem(feed: { template: string | null; format: FeedFormat }, item: FeedItem, context: RenderContext): MessagePayload {
	const template = feed.template ?? DEFAULT_TEMPLATES[feed.format];
	const body = fillTemplate(template, item, context).trim();
	if (feed.format === 'text') {
		return { content: truncate(body || values(item, context).title, DiscordLimits.content), allowed_mentions: { parse: [] } };
	}
	const v = values(item, context);
	const embed: NonNullable<MessagePayload['embeds']>[number] = { title: truncate(v.title, DiscordLimits.embedTitle) };
	const url = httpUrl(item.link);
	if (url) embed.url = url;
	if (body) embed.description = truncate(body, DiscordLimits.embedDescription);
	if (v.author) embed.author = { name: truncate(v.author, DiscordLimits.embedAuthor) };
	if (v.feed) embed.footer = { text: truncate(v.feed, DiscordLimits.embedFooter) };
	if (item.published) embed.timestamp = item.published.toISOString();
	// The fields' own limits add up to more than an embed may hold in total: the footer, then the description give way.
	const total = () =>
		[embed.title, embed.description, embed.author?.name, embed.footer?.text].reduce(
			(sum, text) => sum + (text ? Array.from(text).length : 0),
			0
		);
	if (embed.footer && total() > DiscordLimits.embedTotal) {
		embed.footer.text = truncate(
			embed.footer.text,
			Math.max(1, Array.from(embed.footer.text).length - (total() - DiscordLimits.embedTotal))
		);
	}
	if (embed.description && total() > DiscordLimits.embedTotal) {
		embed.description = truncate(
			embed.description,
			Math.max(1, Array.from(embed.description).length - (total() - DiscordLimits.embedTotal))
		);
	}
	return { embeds: [embed], allowed_mentions: { parse: [] } };
}

/** The one digest message that links the items past the per-poll cap (as many as fit, then a count). */
export function renderDigest(feedTitle: string, items: readonly FeedItem[]): MessagePayload {
	const head = `**${truncate(feedTitle, 200)}**: ${items.length} more new item${items.length === 1 ? '' : 's'}`;
	const lines: string[] = [];
	let length = head.length;
	for (const [index, item] of items.entries()) {
		const title = truncate(item.title ? stripHtml(item.title) : '(untitled)', 120).replace(/[[\]]/g, '');
		const line = item.link && httpUrl(item.link) ? `- [${title}](<${item.link}>)` : `- ${title}`;
		const rest = items.length - index - 1;
		const tail = rest > 0 ? `\n…and ${rest} more` : '';
		if (length + 1 + line.length + tail.length > DiscordLimits.content) {
			lines.push(`…and ${items.length - index} more`);
			break;
		}
		lines.push(line);
		length += 1 + line.length;
	}
	return { content: [head, ...lines].join('\n'), allowed_mentions: { parse: [] } };
}

/** Why the filters keep an item out (keywords matched case-insensitively in title and summary), or null. */
export function filterReason(item: FeedItem, include: readonly string[], exclude: readonly string[]): string | null {
	const haystack = `${item.title ?? ''}\n${item.summary ? stripHtml(item.summary) : ''}`.toLowerCase();
	const excluded = exclude.find((word) => haystack.includes(word.toLowerCase()));
	if (excluded) return `contains the excluded keyword "${excluded}"`;
	if (include.length > 0 && !include.some((word) => haystack.includes(word.toLowerCase()))) {
		return `contains none of the keywords ${include.map((w) => `"${w}"`).join(', ')}`;
	}
	return null;
}
