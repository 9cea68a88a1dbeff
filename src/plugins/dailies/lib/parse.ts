import { createHash } from 'node:crypto';
import type * as FeedParser from '@rowanmanning/feed-parser';
import { onFirstUse } from '../../../core/on-first-use.ts';
import type { FeedKind } from '../entities/DailiesFeed.ts';

/** One item of a feed, normalised across RSS, Atom and JSON Feed. */
export interface FeedItem {
	/** sha-256 (hex) of the guid, else the link, else the content: what dedupe is keyed on. */
	key: string;
	title: string | null;
	link: string | null;
	author: string | null;
	published: Date | null;
	/** HTML or text as the feed gave it; rendering strips tags. */
	summary: string | null;
}

/** A parsed feed; `items` keep the feed's own order (usually newest first). */
export interface ParsedFeed {
	kind: Exclude<FeedKind, 'youtube'>;
	title: string | null;
	link: string | null;
	items: FeedItem[];
}

/** Why a body is not a feed; the message is what an admin reads. */
export class FeedParseError extends Error {
	public readonly code: 'not_a_feed' | 'malformed';
	/** A feed URL the page links to (`<link rel="alternate">`), when the body was an HTML page. */
	public readonly alternate: string | null;

	public constructor(code: 'not_a_feed' | 'malformed', message: string, alternate: string | null = null) {
		super(message);
		this.name = 'FeedParseError';
		this.code = code;
		this.alternate = alternate;
	}
}

/** The dedupe key of an item: guid, else link, else a hash of what it says. */
export function itemKey(guid: string | null | undefined, link: string | null | undefined, content: string): string {
	const basis = guid?.trim() ? `g:${guid.trim()}` : link?.trim() ? `l:${link.trim()}` : `h:${content}`;
	return createHash('sha256').update(basis).digest('hex');
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

function date(value: unknown): Date | null {
	if (typeof value !== 'string' && !(value instanceof Date)) return null;
	const parsed = new Date(value);
	return Number.isNaN(parsed.getTime()) ? null : parsed;
}

/**
 * The RSS/Atom parser (@rowanmanning/feed-parser, with fast-xml-parser under it) is loaded on the first XML feed,
 * not at start: a bot that follows no feed never holds it (about 390 KB of source, most of what the dailies plugin
 * loaded at start, and 15–20 ms of it).
 */
const feedParser = onFirstUse<typeof FeedParser>('@rowanmanning/feed-parser');
const parseXmlFeed: typeof FeedParser.parseFeed = (body) => feedParser().parseFeed(body);

/** Parses an RSS 2.0, Atom or JSON Feed body; a web page or garbage is a {@link FeedParseError}. */
export function parseFeedBody(body: string, contentType = '', baseUrl?: string): ParsedFeed {
	const start = body.trimStart().slice(0, 512).toLowerCase();
	if (/json/.test(contentType) || start.startsWith('{')) return parseJsonFeed(body);
	if (start.startsWith('<!doctype html') || start.startsWith('<html') || (/text\/html/.test(contentType) && !start.startsWith('<?xml'))) {
		throw new FeedParseError('not_a_feed', 'is a web page, not a feed', alternateFeed(body, baseUrl));
	}
	let feed: ReturnType<typeof parseXmlFeed>;
	try {
		feed = parseXmlFeed(body);
	} catch (error) {
		const code = (error as { code?: string }).code;
		throw new FeedParseError(
			code === 'INVALID_FEED' ? 'not_a_feed' : 'malformed',
			code === 'INVALID_FEED' ? 'is not an RSS, Atom or JSON feed' : 'is not well-formed XML'
		);
	}
	const kind = feed.meta.type === 'atom' ? 'atom' : 'rss';
	return {
		kind,
		title: text(feed.title),
		link: text(feed.url),
		items: feed.items.map((item) => {
			const summary = text(item.description) ?? text(item.content);
			const title = text(item.title);
			const link = text(item.url);
			const published = item.published ?? item.updated ?? null;
			return {
				key: itemKey(item.id, link, `${title ?? ''}\n${summary ?? ''}\n${published?.toISOString() ?? ''}`),
				title,
				link,
				author: text(item.authors[0]?.name) ?? text(feed.authors[0]?.name),
				published,
				summary
			};
		})
	};
}

/** JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which the XML parser does not read. */
function parseJsonFeed(body: string): ParsedFeed {
	let data: unknown;
	try {
		data = JSON.parse(body);
	} catch {
		throw new FeedParseError('malformed', 'is not well-formed JSON');
	}
	const feed = data as Record<string, unknown>;
	if (!feed || typeof feed !== 'object' || typeof feed.version !== 'string' || !feed.version.startsWith('https://jsonfeed.org/version/')) {
		throw new FeedParseError('not_a_feed', 'is JSON but not a JSON Feed');
	}
	const items = Array.isArray(feed.items) ? (feed.items as Record<string, unknown>[]) : [];
	const authorOf = (entry: Record<string, unknown>) => {
		const authors = Array.isArray(entry.authors) ? (entry.authors as Record<string, unknown>[]) : [];
		const author = (entry.author as Record<string, unknown> | undefined) ?? authors[0];
		return author && typeof author === 'object' ? text(author.name) : null;
	};
	return {
		kind: 'json',
		title: text(feed.title),
		link: text(feed.home_page_url),
		items: items
			.filter((item) => item && typeof item === 'object')
			.map((item) => {
				const title = text(item.title);
				const link = text(item.url) ?? text(item.external_url);
				const summary = text(item.summary) ?? text(item.content_html) ?? text(item.content_text);
				const published = date(item.date_published) ?? date(item.date_modified);
				const id = typeof item.id === 'number' ? String(item.id) : text(item.id);
				return {
					key: itemKey(id, link, `${title ?? ''}\n${summary ?? ''}\n${published?.toISOString() ?? ''}`),
					title,
					link,
					author: authorOf(item) ?? authorOf(feed),
					published,
					summary
				};
			})
	};
}

/** The first feed an HTML page advertises (`<link rel="alternate" type="application/rss+xml" href>`). */
function alternateFeed(html: string, baseUrl?: string): string | null {
	for (const match of html.matchAll(/<link\b[^>]*>/gi)) {
		const tag = match[0];
		if (!/rel=["']?alternate/i.test(tag) || !/type=["']?application\/(rss|atom|feed)\+(xml|json)/i.test(tag)) continue;
		const href = /href=["']([^"']+)["']/i.exec(tag)?.[1];
		if (!href) continue;
		try {
			return new URL(href.replace(/&amp;/g, '&'), baseUrl).toString();
		} catch {}
	}
	return null;
}

/** Items oldest first: by date when every item has one, else the feed's order reversed (feeds list newest first). */
export function oldestFirst(items: readonly FeedItem[]): FeedItem[] {
	if (items.every((item) => item.published)) {
		return items
			.map((item, index) => ({ item, index }))
			.sort((a, b) => a.item.published!.getTime() - b.item.published!.getTime() || b.index - a.index)
			.map(({ item }) => item);
	}
	return [...items].reverse();
}

/** The newest item: the latest dated one, else the feed's first. */
export function newestItem(items: readonly FeedItem[]): FeedItem | null {
	const ordered = oldestFirst(items);
	return ordered.at(-1) ?? null;
}
