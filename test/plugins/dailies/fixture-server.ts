import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One item a fixture feed serves. */
export interface FixtureItem {
	id: string;
	title: string;
	link: string;
	published: Date;
	summary: string;
	author?: string;
}

/** How a path answers. */
export type FixtureRoute =
	| { kind: 'rss' | 'atom' | 'json' | 'youtube'; items: FixtureItem[]; title?: string; etag?: boolean; delayMs?: number }
	| { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
	| { kind: 'slow'; delayMs: number }
	| { kind: 'oversized'; bytes: number; chunked?: boolean }
	| { kind: 'raw'; contentType: string; body: string }
	| { kind: 'redirect'; location: string; status?: number };

const esc = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The body of a feed route. */
export function feedBody(route: Extract<FixtureRoute, { items: FixtureItem[] }>, base: string): { type: string; body: string } {
	const title = route.title ?? 'Fixture feed';
	// Newest first, as real feeds list them.
	const items = [...route.items].sort((a, b) => b.published.getTime() - a.published.getTime());
	if (route.kind === 'rss') {
		return {
			type: 'application/rss+xml; charset=utf-8',
			body: `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>${esc(title)}</title><link>${base}/</link><description>d</description>${items
				.map(
					(i) =>
						`<item><title>${esc(i.title)}</title><link>${esc(i.link)}</link><guid isPermaLink="false">${esc(i.id)}</guid><pubDate>${i.published.toUTCString()}</pubDate><description>${esc(i.summary)}</description>${i.author ? `<author>${esc(i.author)}</author>` : ''}</item>`
				)
				.join('')}</channel></rss>`
		};
	}
	if (route.kind === 'atom' || route.kind === 'youtube') {
		const yt = route.kind === 'youtube';
		return {
			type: 'application/atom+xml; charset=utf-8',
			body: `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"${yt ? ' xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/"' : ''}><id>${base}/feed</id><title>${esc(title)}</title><updated>${new Date(0).toISOString()}</updated>${items
				.map(
					(i) =>
						`<entry><id>${yt ? 'yt:video:' : ''}${esc(i.id)}</id><title>${esc(i.title)}</title><link rel="alternate" href="${esc(i.link)}"/><published>${i.published.toISOString()}</published><updated>${i.published.toISOString()}</updated><author><name>${esc(i.author ?? 'Fixture Author')}</name></author>${yt ? `<media:group><media:description>${esc(i.summary)}</media:description></media:group>` : `<summary type="html">${esc(i.summary)}</summary>`}</entry>`
				)
				.join('')}</feed>`
		};
	}
	return {
		type: 'application/feed+json',
		body: JSON.stringify({
			version: 'https://jsonfeed.org/version/1.1',
			title,
			home_page_url: `${base}/`,
			items: items.map((i) => ({
				id: i.id,
				url: i.link,
				title: i.title,
				content_html: i.summary,
				date_published: i.published.toISOString(),
				authors: [{ name: i.author ?? 'Fixture Author' }]
			}))
		})
	};
}

/** A local HTTP server serving fixture feeds and misbehaviours, counting requests per path. */
export class FixtureServer {
	readonly routes = new Map<string, FixtureRoute>();
	readonly hits = new Map<string, number>();
	/** Requests answered 304. */
	notModified = 0;
	/** Messages posted to `POST /_sink` (worker processes post there instead of Discord). */
	readonly sink: { channelId: string; nonce?: string; payload: { content?: string; embeds?: { title?: string }[] }; worker?: string }[] =
		[];
	#server: Server | null = null;
	host = '127.0.0.1';
	port = 0;

	get base(): string {
		return `http://${this.host}:${this.port}`;
	}

	/** The URL of a path on this server. */
	public url(path: string): string {
		return `${this.base}${path}`;
	}

	public async start(host = '127.0.0.1', port = 0): Promise<this> {
		this.host = host;
		this.#server = createServer((request, response) => this.#handle(request, response));
		this.#server.keepAliveTimeout = 30_000;
		await new Promise<void>((resolve) => this.#server!.listen(port, host, resolve));
		this.port = (this.#server.address() as AddressInfo).port;
		return this;
	}

	public async stop(): Promise<void> {
		this.#server?.closeAllConnections();
		await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
	}

	/** Requests a path got. */
	public count(path: string): number {
		return this.hits.get(path) ?? 0;
	}

	#handle(request: IncomingMessage, response: ServerResponse): void {
		const path = request.url ?? '/';
		if (request.method === 'POST' && path === '/_sink') {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				this.sink.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
				response
					.writeHead(200, { 'content-type': 'application/json' })
					.end(JSON.stringify({ id: String(1_000_000_000_000_000_000n + BigInt(this.sink.length)) }));
			});
			return;
		}
		this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
		const route = this.routes.get(path);
		if (!route) {
			response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
			return;
		}
		switch (route.kind) {
			case 'status':
				response.writeHead(route.status, { 'content-type': 'text/plain', ...route.headers }).end(route.body ?? `status ${route.status}`);
				return;
			case 'slow': {
				response.writeHead(200, { 'content-type': 'application/rss+xml' });
				response.write('<?xml version="1.0"?><rss version="2.0"><channel>');
				const timer = setTimeout(() => response.end('<title>late</title></channel></rss>'), route.delayMs);
				response.on('close', () => clearTimeout(timer));
				return;
			}
			case 'oversized': {
				const chunk = `<!-- ${'x'.repeat(64 * 1024 - 9)} -->`;
				response.writeHead(200, {
					'content-type': 'application/rss+xml',
					...(route.chunked ? {} : { 'content-length': String(route.bytes) })
				});
				let sent = 0;
				const pump = () => {
					while (sent < route.bytes) {
						sent += chunk.length;
						if (!response.write(chunk)) return void response.once('drain', pump);
					}
					response.end();
				};
				response.on('error', () => undefined);
				pump();
				return;
			}
			case 'raw':
				response.writeHead(200, { 'content-type': route.contentType }).end(route.body);
				return;
			case 'redirect':
				response.writeHead(route.status ?? 302, { location: route.location }).end();
				return;
			default: {
				if (route.delayMs) {
					const timer = setTimeout(() => this.#serveFeed(route, request, response), route.delayMs);
					response.on('close', () => clearTimeout(timer));
					return;
				}
				this.#serveFeed(route, request, response);
			}
		}
	}

	#serveFeed(route: Extract<FixtureRoute, { items: FixtureItem[] }>, request: IncomingMessage, response: ServerResponse): void {
		const { type, body } = feedBody(route, this.base);
		const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
		if (route.etag !== false && request.headers['if-none-match'] === etag) {
			this.notModified++;
			response.writeHead(304, { etag }).end();
			return;
		}
		response.writeHead(200, { 'content-type': type, ...(route.etag !== false ? { etag } : {}) }).end(body);
	}
}

/** `count` items numbered from `from`, a minute apart from `start`. */
export function makeItems(count: number, options: { from?: number; start?: Date; base?: string; prefix?: string } = {}): FixtureItem[] {
	const from = options.from ?? 1;
	const start = options.start ?? new Date('2026-12-01T00:00:00Z');
	const prefix = options.prefix ?? 'item';
	return Array.from({ length: count }, (_, i) => {
		const n = from + i;
		return {
			id: `${prefix}-${n}`,
			title: `${prefix} ${n}`,
			link: `${options.base ?? 'https://example.org'}/${prefix}/${n}`,
			published: new Date(start.getTime() + n * 60_000),
			summary: `<p>Summary of <b>${prefix} ${n}</b> &amp; more</p>`
		};
	});
}
