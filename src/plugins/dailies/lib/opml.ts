import type * as FastXmlParser from 'fast-xml-parser';
import { onFirstUse } from '../../../core/on-first-use.ts';
import { CATCH_UP_POLICIES, type CatchUpPolicy, FEED_FORMATS, type FeedFormat } from '../entities/DailiesFeed.ts';

/** Facet's OPML namespace: per-feed channel, template, format and filters, ignored by other readers. */
export const OPML_NAMESPACE = 'https://facet.invalid/opml/dailies/1';

/** A feed as an OPML outline carries it. */
export interface OpmlFeed {
	url: string;
	title: string | null;
	channelId?: string | null;
	template?: string | null;
	format?: FeedFormat;
	include?: string[];
	exclude?: string[];
	catchUp?: CatchUpPolicy;
	maxPerPoll?: number;
}

/** Most outlines one import reads. */
export const OPML_MAX_OUTLINES = 1000;

const xmlEscape = (value: string) =>
	value
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/\n/g, '&#10;')
		.replace(/\r/g, '&#13;');

/** OPML 2.0 with one `outline type="rss"` per feed. */
export function buildOpml(title: string, feeds: readonly OpmlFeed[], now: Date): string {
	const lines = [
		'<?xml version="1.0" encoding="UTF-8"?>',
		`<opml version="2.0" xmlns:facet="${OPML_NAMESPACE}">`,
		'  <head>',
		`    <title>${xmlEscape(title)}</title>`,
		`    <dateCreated>${now.toUTCString()}</dateCreated>`,
		'  </head>',
		'  <body>'
	];
	for (const feed of feeds) {
		const attributes: [string, string | null | undefined][] = [
			['type', 'rss'],
			['text', feed.title ?? feed.url],
			['title', feed.title ?? feed.url],
			['xmlUrl', feed.url],
			['facet:channelId', feed.channelId],
			['facet:template', feed.template],
			['facet:format', feed.format],
			['facet:include', feed.include?.length ? feed.include.join(',') : null],
			['facet:exclude', feed.exclude?.length ? feed.exclude.join(',') : null],
			['facet:catchUp', feed.catchUp],
			['facet:maxPerPoll', feed.maxPerPoll === undefined ? null : String(feed.maxPerPoll)]
		];
		const rendered = attributes
			.filter(([, value]) => value !== null && value !== undefined)
			.map(([name, value]) => `${name}="${xmlEscape(value!)}"`)
			.join(' ');
		lines.push(`    <outline ${rendered}/>`);
	}
	lines.push('  </body>', '</opml>', '');
	return lines.join('\n');
}

type Node = Record<string, unknown>;

/** fast-xml-parser is loaded by the first OPML import, not at start (the feed parser loads it the same way). */
const xml = onFirstUse<typeof FastXmlParser>('fast-xml-parser');

/** The feeds of an OPML document (outlines with `xmlUrl`, nested ones included); throws on anything malformed. */
export function parseOpml(source: string): OpmlFeed[] {
	if (source.trim() === '') throw new Error('the file is empty');
	const { XMLParser, XMLValidator } = xml();
	const valid = XMLValidator.validate(source);
	if (valid !== true) throw new Error(`${valid.err.msg} (line ${valid.err.line})`);
	const parser = new XMLParser({
		ignoreAttributes: false,
		attributeNamePrefix: '@',
		isArray: (name) => name === 'outline',
		processEntities: true,
		htmlEntities: true
	});
	const doc = parser.parse(source) as Node;
	const opml = doc.opml as Node | undefined;
	if (!opml || typeof opml !== 'object') throw new Error('there is no <opml> element');
	const body = opml.body as Node | undefined;
	if (!body || typeof body !== 'object') throw new Error('there is no <body> element');
	const feeds: OpmlFeed[] = [];
	const walk = (outlines: unknown) => {
		if (!Array.isArray(outlines)) return;
		for (const outline of outlines as Node[]) {
			if (!outline || typeof outline !== 'object') continue;
			const url = outline['@xmlUrl'];
			if (typeof url === 'string' && url.trim() !== '') {
				if (feeds.length >= OPML_MAX_OUTLINES) throw new Error(`more than ${OPML_MAX_OUTLINES} feeds`);
				const attr = (name: string) => (typeof outline[`@facet:${name}`] === 'string' ? (outline[`@facet:${name}`] as string) : null);
				const list = (name: string) =>
					attr(name)
						?.split(',')
						.map((word) => word.trim())
						.filter(Boolean) ?? [];
				const format = attr('format');
				const catchUp = attr('catchUp');
				const max = Number(attr('maxPerPoll'));
				feeds.push({
					url: url.trim(),
					title: typeof outline['@title'] === 'string' ? outline['@title'] : typeof outline['@text'] === 'string' ? outline['@text'] : null,
					channelId: attr('channelId'),
					template: attr('template'),
					...(format && (FEED_FORMATS as readonly string[]).includes(format) ? { format: format as FeedFormat } : {}),
					include: list('include'),
					exclude: list('exclude'),
					...(catchUp && (CATCH_UP_POLICIES as readonly string[]).includes(catchUp) ? { catchUp: catchUp as CatchUpPolicy } : {}),
					...(Number.isInteger(max) && max >= 1 && max <= 10 ? { maxPerPoll: max } : {})
				});
			}
			walk(outline.outline);
		}
	};
	walk(body.outline);
	if (feeds.length === 0) throw new Error('it lists no feeds (no outline with an xmlUrl)');
	return feeds;
}
