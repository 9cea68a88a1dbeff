import type { FeedFetcher } from './fetch.ts';

/** Why a YouTube channel could not be resolved. */
export class YouTubeError extends Error {
	public constructor(message: string) {
		super(message);
		this.name = 'YouTubeError';
	}
}

const CHANNEL_ID = /^UC[\w-]{22}$/;
const HANDLE = /^@[\w.-]{3,30}$/;

/** The feed URL of a YouTube channel id. */
export function youtubeFeedUrl(channelId: string, base = 'https://www.youtube.com'): string {
	return `${base.replace(/\/$/, '')}/feeds/videos.xml?channel_id=${channelId}`;
}

/** Whether a URL is a YouTube channel feed (on the given base or youtube.com). */
export function isYouTubeFeed(url: string, base = 'https://www.youtube.com'): boolean {
	try {
		const parsed = new URL(url);
		const baseHost = new URL(base).host;
		return (parsed.host === baseHost || /(^|\.)youtube\.com$/.test(parsed.hostname)) && parsed.pathname === '/feeds/videos.xml';
	} catch {
		return false;
	}
}

/**
 * What an admin may type for a YouTube channel — `UC…` channel id, `@handle`, or a youtube.com channel, handle,
 * `/c/` or `/user/` URL — as its page to look up or its feed; null when the input is not YouTube at all.
 */
export function youtubeInput(input: string, base = 'https://www.youtube.com'): { feed: string } | { page: string } | null {
	const value = input.trim();
	const root = base.replace(/\/$/, '');
	if (CHANNEL_ID.test(value)) return { feed: youtubeFeedUrl(value, root) };
	if (HANDLE.test(value)) return { page: `${root}/${value}` };
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return null;
	}
	const onBase = url.host === new URL(root).host;
	if (!onBase && !/(^|\.)youtube\.com$/.test(url.hostname)) return null;
	if (url.pathname === '/feeds/videos.xml') return { feed: value };
	const channel = /^\/channel\/(UC[\w-]{22})/.exec(url.pathname);
	if (channel) return { feed: youtubeFeedUrl(channel[1]!, onBase ? root : 'https://www.youtube.com') };
	if (/^\/(@[\w.-]+|c\/[^/]+|user\/[^/]+)/.test(url.pathname)) return { page: url.toString() };
	return null;
}

/** The channel id a YouTube channel page names (canonical link, channel meta, or its page data). */
export function channelIdFromPage(html: string): string | null {
	const patterns = [
		/<link\s+rel=["']canonical["']\s+href=["'][^"']*\/channel\/(UC[\w-]{22})/i,
		/<meta\s+itemprop=["'](?:channelId|identifier)["']\s+content=["'](UC[\w-]{22})/i,
		/"(?:channelId|externalId|browseId)"\s*:\s*"(UC[\w-]{22})"/,
		/youtube\.com\/channel\/(UC[\w-]{22})/
	];
	for (const pattern of patterns) {
		const found = pattern.exec(html)?.[1];
		if (found) return found;
	}
	return null;
}

/**
 * Resolves a YouTube input to its feed URL, fetching a handle's page through the feed fetcher (same address
 * checks, limits and timeout). Null when the input is not YouTube.
 */
export async function resolveYouTube(fetcher: FeedFetcher, input: string, base = 'https://www.youtube.com'): Promise<string | null> {
	const parsed = youtubeInput(input, base);
	if (!parsed) return null;
	if ('feed' in parsed) return parsed.feed;
	const page = await fetcher.fetch(parsed.page);
	const channelId = channelIdFromPage(page.body);
	if (!channelId) throw new YouTubeError(`found no YouTube channel at ${parsed.page}`);
	const root = new URL(page.url);
	return youtubeFeedUrl(channelId, new URL(base).host === root.host ? base : 'https://www.youtube.com');
}
