import { describe, expect, it } from 'vitest';
import { blockedAddress } from '../../../src/plugins/dailies/lib/address.ts';
import { DefaultFetcherOptions, retryAfterMs } from '../../../src/plugins/dailies/lib/fetch.ts';
import { runLimited } from '../../../src/plugins/dailies/lib/limiter.ts';
import { buildOpml, parseOpml } from '../../../src/plugins/dailies/lib/opml.ts';
import { itemKey, oldestFirst, parseFeedBody } from '../../../src/plugins/dailies/lib/parse.ts';
import { DefaultPollerOptions } from '../../../src/plugins/dailies/lib/poller.ts';
import {
	DiscordLimits,
	filterReason,
	renderDigest,
	renderItem,
	stripHtml,
	templateProblem
} from '../../../src/plugins/dailies/lib/render.ts';
import { DailiesEnv } from '../../../src/plugins/dailies/lib/settings.ts';
import { channelIdFromPage, youtubeInput } from '../../../src/plugins/dailies/lib/youtube.ts';

const context = { feedTitle: 'Feed', timeZone: 'America/New_York', locale: 'en-US' };
const item = (extra: Record<string, unknown> = {}) => ({
	key: 'k',
	title: 'Title',
	link: 'https://example.org/a',
	author: 'Ann',
	published: new Date('2026-07-01T12:00:00Z'),
	summary: '<p>Hello <b>world</b> &amp; you</p>',
	...extra
});

describe('GIVEN addresses', () => {
	it('THEN loopback, private, link-local, CGNAT, reserved and metadata are refused; public ones pass', () => {
		const cases: [string, string | null][] = [
			['127.0.0.1', 'loopback'],
			['::1', 'loopback'],
			['10.1.2.3', 'private'],
			['172.16.0.1', 'private'],
			['192.168.1.1', 'private'],
			['fd12::1', 'private'],
			['169.254.10.10', 'link-local'],
			['fe80::1', 'link-local'],
			['100.64.0.1', 'CGNAT'],
			['0.0.0.0', 'reserved'],
			['::ffff:127.0.0.1', 'loopback'],
			['::ffff:7f00:1', 'loopback'],
			['169.254.169.254', 'cloud metadata'],
			['fd00:ec2::254', 'cloud metadata'],
			['93.184.216.34', null],
			['2606:4700::1111', null]
		];
		for (const [address, reason] of cases) expect([address, blockedAddress(address, false)]).toEqual([address, reason]);
		expect(blockedAddress('10.1.2.3', true)).toBeNull();
		expect(blockedAddress('169.254.169.254', true)).toBe('cloud metadata');
	});
});

describe('GIVEN Retry-After', () => {
	it('THEN seconds and HTTP dates become milliseconds', () => {
		expect(retryAfterMs('120')).toBe(120_000);
		expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(60_000);
		expect(retryAfterMs('soon')).toBeNull();
	});
});

describe('GIVEN templates and rendering', () => {
	it('THEN unknown placeholders and over-long templates are refused', () => {
		expect(templateProblem('{title} {link}', 'text')).toBeNull();
		expect(templateProblem('{titel}', 'text')).toMatch(/unknown placeholder \{titel\}/);
		expect(templateProblem('x'.repeat(2001), 'text')).toMatch(/Discord allows 2000/);
		expect(templateProblem('x'.repeat(4000), 'embed')).toBeNull();
		expect(templateProblem('x'.repeat(4097), 'embed')).toMatch(/4096/);
	});

	it('THEN placeholders fill in, {published} in the guild time zone, HTML stripped, and long fields truncate', () => {
		const text = renderItem({ template: '{feed}|{title}|{author}|{published}|{summary}|{link}', format: 'text' }, item(), context);
		expect(text.content).toBe('Feed|Title|Ann|Jul 1, 2026, 08:00 AM EDT|Hello world & you|https://example.org/a');
		const huge = renderItem(
			{ template: null, format: 'embed' },
			item({ title: 't'.repeat(1000), summary: 's'.repeat(10_000), author: 'a'.repeat(500) }),
			context
		);
		const embed = huge.embeds![0]!;
		expect(Array.from(embed.title!).length).toBeLessThanOrEqual(DiscordLimits.embedTitle);
		expect(embed.author!.name.length).toBeLessThanOrEqual(DiscordLimits.embedAuthor);
		expect(embed.description!.length).toBeLessThanOrEqual(501);
		const long = renderItem(
			{ template: '{summary}{summary}{summary}{summary}{summary}', format: 'text' },
			item({ summary: 'x'.repeat(600) }),
			context
		);
		expect(long.content!.length).toBeLessThanOrEqual(2000);
		expect(long.allowed_mentions).toEqual({ parse: [] });
		expect(stripHtml('<script>x</script>a<br>b')).toBe('a\nb');
		// Every field at its own limit would exceed the embed's 6,000 in total: it is cut to fit.
		const full = renderItem(
			{ template: '{summary}'.repeat(9), format: 'embed' },
			item({ title: 't'.repeat(300), summary: 's'.repeat(600), author: 'a'.repeat(300) }),
			{
				...context,
				feedTitle: 'f'.repeat(3000)
			}
		).embeds![0]!;
		const sizes = [full.title, full.description, full.author?.name, full.footer?.text].map((text) => Array.from(text ?? '').length);
		expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(DiscordLimits.embedTotal);
	});

	it('THEN the digest fits in one message however many items it links', () => {
		const many = Array.from({ length: 500 }, (_, i) => item({ title: `Item ${i} ${'x'.repeat(100)}`, link: `https://example.org/${i}` }));
		const digest = renderDigest('Feed', many);
		expect(digest.content!.length).toBeLessThanOrEqual(2000);
		expect(digest.content).toMatch(/500 more new items[\s\S]*…and \d+ more$/);
	});

	it('THEN filters match title and summary, case-insensitively', () => {
		expect(filterReason(item(), [], ['WORLD'])).toBe('contains the excluded keyword "WORLD"');
		expect(filterReason(item(), ['rust'], [])).toBe('contains none of the keywords "rust"');
		expect(filterReason(item(), ['title'], [])).toBeNull();
	});
});

describe('GIVEN feed bodies', () => {
	it('THEN item keys are the guid, else the link, else the content', () => {
		expect(itemKey('g', 'l', 'c')).toBe(itemKey('g', 'other', 'other'));
		expect(itemKey(null, 'l', 'c')).toBe(itemKey('', 'l', 'other'));
		expect(itemKey(null, null, 'c')).not.toBe(itemKey(null, null, 'd'));
	});

	it('THEN a JSON Feed parses, and a JSON body that is not one is refused', () => {
		const feed = parseFeedBody(
			JSON.stringify({
				version: 'https://jsonfeed.org/version/1.1',
				title: 'J',
				items: [{ id: 1, url: 'https://e/1', title: 'One', date_published: '2026-01-01T00:00:00Z' }]
			}),
			'application/feed+json'
		);
		expect(feed).toMatchObject({ kind: 'json', title: 'J', items: [{ title: 'One', link: 'https://e/1' }] });
		expect(() => parseFeedBody('{"a":1}', 'application/json')).toThrow(/not a JSON Feed/);
	});

	it('THEN undated items are ordered oldest first by reversing the feed', () => {
		const items = [item({ key: 'new', published: null }), item({ key: 'old', published: null })];
		expect(oldestFirst(items).map((i) => i.key)).toEqual(['old', 'new']);
	});
});

describe('GIVEN YouTube inputs', () => {
	it('THEN ids, handles and channel URLs resolve to a feed or a page to read', () => {
		const id = 'UCabcdefghijklmnopqrstuv';
		expect(youtubeInput(id)).toEqual({ feed: `https://www.youtube.com/feeds/videos.xml?channel_id=${id}` });
		expect(youtubeInput('@SomeOne')).toEqual({ page: 'https://www.youtube.com/@SomeOne' });
		expect(youtubeInput(`https://www.youtube.com/channel/${id}`)).toEqual({
			feed: `https://www.youtube.com/feeds/videos.xml?channel_id=${id}`
		});
		expect(youtubeInput('https://youtube.com/c/name')).toEqual({ page: 'https://youtube.com/c/name' });
		expect(youtubeInput('https://example.org/feed.xml')).toBeNull();
		expect(channelIdFromPage(`<meta itemprop="identifier" content="${id}">`)).toBe(id);
	});
});

describe('GIVEN OPML', () => {
	it('THEN export parses back to the same feeds, with Facet settings and escaped text', () => {
		const feeds = [
			{
				url: 'https://e/a?x=1&y=2',
				title: 'A "quoted" <feed>',
				channelId: '200000000000000001',
				template: '{title}\n{link}',
				format: 'text' as const,
				include: ['a', 'b'],
				exclude: [],
				catchUp: 'skip' as const,
				maxPerPoll: 3
			},
			{ url: 'https://e/b', title: null }
		];
		const parsed = parseOpml(buildOpml('T & T', feeds, new Date(0)));
		expect(parsed[0]).toMatchObject({
			url: 'https://e/a?x=1&y=2',
			title: 'A "quoted" <feed>',
			channelId: '200000000000000001',
			template: '{title}\n{link}',
			format: 'text',
			include: ['a', 'b'],
			catchUp: 'skip',
			maxPerPoll: 3
		});
		expect(parsed[1]).toMatchObject({ url: 'https://e/b', title: 'https://e/b' });
	});

	it('THEN malformed documents are refused with the reason', () => {
		expect(() => parseOpml('')).toThrow(/empty/);
		expect(() => parseOpml('<opml><body><outline xmlUrl="x"')).toThrow();
		expect(() => parseOpml('<rss></rss>')).toThrow(/no <opml> element/);
		expect(() => parseOpml('<opml><body><outline text="folder"/></body></opml>')).toThrow(/lists no feeds/);
	});
});

describe('GIVEN the poll limits', () => {
	it('THEN at most 8 run at once and at most 2 per host, and every item runs once', async () => {
		const items = Array.from({ length: 200 }, (_, i) => ({ id: i, host: i < 150 ? 'one.example' : `h${i % 5}.example` }));
		const running = new Map<string, number>();
		let now = 0;
		let peak = 0;
		let peakPerHost = 0;
		const done: number[] = [];
		await runLimited(
			items,
			(item) => item.host,
			{ concurrency: 8, perKey: 2 },
			async (item) => {
				now++;
				running.set(item.host, (running.get(item.host) ?? 0) + 1);
				peak = Math.max(peak, now);
				peakPerHost = Math.max(peakPerHost, running.get(item.host)!);
				await new Promise((resolve) => setTimeout(resolve, 1 + (item.id % 3)));
				running.set(item.host, running.get(item.host)! - 1);
				now--;
				done.push(item.id);
				if (item.id === 7) throw new Error('one task failing stops nothing');
			}
		);
		expect(peak).toBeLessThanOrEqual(8);
		expect(peak).toBeGreaterThan(2);
		expect(peakPerHost).toBe(2);
		expect(done.sort((a, b) => a - b)).toEqual(items.map((item) => item.id));
	});

	it('THEN the fetch defaults are 10 s, 2 MB and 3 redirects', () => {
		expect(DefaultFetcherOptions).toMatchObject({ timeoutMs: 10_000, maxBytes: 2 * 1024 * 1024, maxRedirects: 3 });
		expect(DefaultPollerOptions).toMatchObject({ concurrency: 8, perHost: 2, maxFailures: 5 });
	});
});

describe('GIVEN the host environment', () => {
	it('THEN the limits default to 50 feeds, 8 at once, 2 per host, and DAILIES_ALLOW_PRIVATE_FEEDS is read as a flag', () => {
		expect(DailiesEnv.parse({})).toMatchObject({
			DAILIES_MAX_FEEDS: 50,
			DAILIES_POLL_CONCURRENCY: 8,
			DAILIES_POLL_PER_HOST: 2
		});
		expect(DailiesEnv.parse({}).DAILIES_ALLOW_PRIVATE_FEEDS).toBeUndefined();
		expect(DailiesEnv.parse({ DAILIES_ALLOW_PRIVATE_FEEDS: 'false' }).DAILIES_ALLOW_PRIVATE_FEEDS).toBe(false);
		expect(DailiesEnv.parse({ DAILIES_ALLOW_PRIVATE_FEEDS: 'true' }).DAILIES_ALLOW_PRIVATE_FEEDS).toBe(true);
		// The plugin re-reads the already parsed environment.
		expect(DailiesEnv.parse(DailiesEnv.parse({ DAILIES_ALLOW_PRIVATE_FEEDS: '0', DAILIES_MAX_FEEDS: '3' }))).toMatchObject({
			DAILIES_ALLOW_PRIVATE_FEEDS: false,
			DAILIES_MAX_FEEDS: 3
		});
		expect(() => DailiesEnv.parse({ DAILIES_ALLOW_PRIVATE_FEEDS: 'yes' })).toThrow();
	});
});
