import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, buildConnector, request } from 'undici';
import { blockedAddress } from './address.ts';

/** Limits of one feed fetch. */
export interface FetcherOptions {
	/** Allow loopback, private, link-local and CGNAT addresses (cloud metadata stays refused). */
	allowPrivate: boolean;
	/** The whole fetch, redirects and body included. */
	timeoutMs?: number;
	/** Largest body, after decompression. */
	maxBytes?: number;
	maxRedirects?: number;
	userAgent?: string;
	/** Replaces the address check (tests: treat one loopback address as private). */
	blocked?: (address: string) => string | null;
}

/** The defaults of {@link FetcherOptions}: 10 s, 2 MB, 3 redirects. */
export const DefaultFetcherOptions = {
	timeoutMs: 10_000,
	maxBytes: 2 * 1024 * 1024,
	maxRedirects: 3,
	userAgent: 'FacetBot/0.1 (+feeds; RSS/Atom/JSON Feed)'
} as const;

/** Why a fetch failed; `code` is stable, `message` is what an admin reads. */
export type FetchErrorCode = 'invalid_url' | 'blocked_address' | 'timeout' | 'too_large' | 'too_many_redirects' | 'http_status' | 'network';

/** A failed fetch. `status` and `retryAfterMs` are set for HTTP error answers. */
export class FetchError extends Error {
	public readonly code: FetchErrorCode;
	public readonly status: number | null;
	public readonly retryAfterMs: number | null;

	public constructor(code: FetchErrorCode, message: string, status: number | null = null, retryAfterMs: number | null = null) {
		super(message);
		this.name = 'FetchError';
		this.code = code;
		this.status = status;
		this.retryAfterMs = retryAfterMs;
	}
}

/** A fetched feed body, or a 304. */
export interface FetchResult {
	status: number;
	/** The URL after redirects. */
	url: string;
	notModified: boolean;
	body: string;
	contentType: string;
	etag: string | null;
	lastModified: string | null;
}

/** Validators of a conditional GET. */
export interface Conditional {
	etag?: string | null;
	lastModified?: string | null;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | null {
	if (!value) return null;
	const trimmed = value.trim();
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
	const at = Date.parse(trimmed);
	return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
	const value = headers[name];
	return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/**
 * Fetches feeds over HTTP(S) with the limits of {@link FetcherOptions}. Every connection — the first and each
 * redirect's — is checked on the address it actually connects to: the DNS answer is validated inside the socket's
 * own lookup, an IP literal before connecting, and the connected socket's remote address once more.
 */
export class FeedFetcher {
	readonly options: Required<Omit<FetcherOptions, 'blocked'>> & Pick<FetcherOptions, 'blocked'>;
	readonly #agent: Agent;

	public constructor(options: FetcherOptions) {
		this.options = { ...DefaultFetcherOptions, ...options };
		const why = (address: string) => this.options.blocked?.(address) ?? blockedAddress(address, this.options.allowPrivate);
		const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
			dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
				if (error) return callback(error, '', 0);
				const allowed = addresses.filter((entry) => why(entry.address) === null);
				if (allowed.length === 0) {
					const reason = why(addresses[0]?.address ?? '') ?? 'no address';
					return callback(blockedError(hostname, reason), '', 0);
				}
				if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
				callback(null, allowed[0]!.address, allowed[0]!.family);
			});
		};
		const base = buildConnector({ lookup, timeout: this.options.timeoutMs } as buildConnector.BuildOptions);
		const connect: buildConnector.connector = (connectOptions, callback) => {
			const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
			if (isIP(host)) {
				const reason = why(host);
				if (reason) return callback(blockedError(host, reason), null);
			}
			return base(connectOptions, (error, socket) => {
				if (error) return callback(error, null);
				const remote = (socket as Socket).remoteAddress ?? '';
				const reason = why(remote);
				if (reason) {
					socket!.destroy();
					return callback(blockedError(host, reason), null);
				}
				callback(null, socket!);
			});
		};
		this.#agent = new Agent({ connect, connections: 4, keepAliveTimeout: 10_000 });
	}

	/** GETs a URL (conditionally when validators are given), following at most `maxRedirects` redirects. */
	public async fetch(url: string, conditional: Conditional = {}): Promise<FetchResult> {
		const signal = AbortSignal.timeout(this.options.timeoutMs);
		let current = parseHttpUrl(url);
		for (let hop = 0; ; hop++) {
			const headers: Record<string, string> = {
				'user-agent': this.options.userAgent,
				accept:
					'application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5',
				'accept-encoding': 'gzip, deflate, br'
			};
			if (conditional.etag) headers['if-none-match'] = conditional.etag;
			if (conditional.lastModified) headers['if-modified-since'] = conditional.lastModified;
			let answer: Awaited<ReturnType<typeof request>>;
			try {
				answer = await request(current, {
					method: 'GET',
					headers,
					dispatcher: this.#agent,
					signal,
					headersTimeout: this.options.timeoutMs,
					bodyTimeout: this.options.timeoutMs
				});
			} catch (error) {
				throw this.#networkError(error, signal);
			}
			const status = answer.statusCode;
			if (REDIRECTS.has(status)) {
				answer.body.resume();
				const location = header(answer.headers, 'location');
				if (!location) throw new FetchError('http_status', `HTTP ${status} without a Location header`, status);
				if (hop >= this.options.maxRedirects) {
					throw new FetchError('too_many_redirects', `more than ${this.options.maxRedirects} redirects`, status);
				}
				current = parseHttpUrl(new URL(location, current).toString());
				continue;
			}
			const base = {
				status,
				url: current.toString(),
				contentType: header(answer.headers, 'content-type') ?? '',
				etag: header(answer.headers, 'etag'),
				lastModified: header(answer.headers, 'last-modified')
			};
			if (status === 304) {
				answer.body.resume();
				return { ...base, notModified: true, body: '' };
			}
			if (status < 200 || status > 299) {
				answer.body.resume();
				throw new FetchError('http_status', `HTTP ${status}`, status, retryAfterMs(header(answer.headers, 'retry-after')));
			}
			const declared = Number(header(answer.headers, 'content-length') ?? Number.NaN);
			if (declared > this.options.maxBytes) {
				answer.body.destroy();
				throw tooLarge(this.options.maxBytes);
			}
			let body: string;
			try {
				body = await readLimited(answer.body, header(answer.headers, 'content-encoding'), this.options.maxBytes, base.contentType);
			} catch (error) {
				if (error instanceof FetchError) throw error;
				throw this.#networkError(error, signal);
			}
			return { ...base, notModified: false, body };
		}
	}

	/** Closes the connection pool. */
	public async close(): Promise<void> {
		await this.#agent.close();
	}

	#networkError(error: unknown, signal: AbortSignal): FetchError {
		if (error instanceof FetchError) return error;
		const cause = (error as { cause?: unknown }).cause;
		if (cause instanceof FetchError) return cause;
		if (signal.aborted) return new FetchError('timeout', `no complete answer within ${this.options.timeoutMs / 1000} s`);
		const name = (error as { code?: string; name?: string }).code ?? (error as Error).name;
		if (name === 'UND_ERR_HEADERS_TIMEOUT' || name === 'UND_ERR_BODY_TIMEOUT' || name === 'UND_ERR_CONNECT_TIMEOUT') {
			return new FetchError('timeout', `no complete answer within ${this.options.timeoutMs / 1000} s`);
		}
		const message = (error as Error).message || String(error);
		return new FetchError('network', `could not connect: ${message.slice(0, 200)}`);
	}
}

function blockedError(host: string, reason: string): FetchError {
	return new FetchError('blocked_address', `${host} is a ${reason} address; feeds must be on the public internet`);
}

function tooLarge(maxBytes: number): FetchError {
	return new FetchError('too_large', `the feed is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`);
}

/** A URL a feed may be fetched from (http or https, no credentials), or a {@link FetchError}. */
export function parseHttpUrl(value: string): URL {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new FetchError('invalid_url', 'is not a valid URL');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError('invalid_url', 'must start with http:// or https://');
	if (url.username || url.password) throw new FetchError('invalid_url', 'must not contain a user name or password');
	return url;
}

async function readLimited(
	body: NodeJS.ReadableStream & { destroy(): void },
	encoding: string | null,
	maxBytes: number,
	contentType: string
): Promise<string> {
	const coding = (encoding ?? '').trim().toLowerCase();
	const decoder =
		coding === 'gzip' || coding === 'x-gzip'
			? createGunzip()
			: coding === 'deflate'
				? createInflate()
				: coding === 'br'
					? createBrotliDecompress()
					: null;
	const source: AsyncIterable<Buffer> = decoder ? (body.pipe(decoder) as AsyncIterable<Buffer>) : (body as AsyncIterable<Buffer>);
	const chunks: Buffer[] = [];
	let size = 0;
	try {
		for await (const chunk of source) {
			size += chunk.length;
			// Counted after decompression, so a small compressed bomb is refused too.
			if (size > maxBytes) throw tooLarge(maxBytes);
			chunks.push(chunk);
		}
	} finally {
		if (size > maxBytes) {
			body.destroy();
			decoder?.destroy();
		}
	}
	const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase();
	let text: TextDecoder;
	try {
		text = new TextDecoder(charset ?? 'utf-8');
	} catch {
		text = new TextDecoder('utf-8');
	}
	return text.decode(Buffer.concat(chunks));
}
