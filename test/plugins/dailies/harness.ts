import { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import { dailiesPlugin } from '../../../src/plugins/dailies/index.ts';
import { FeedFetcher, type FetcherOptions } from '../../../src/plugins/dailies/lib/fetch.ts';
import { FeedPoller, type PollerOptions } from '../../../src/plugins/dailies/lib/poller.ts';
import type { MessagePayload } from '../../../src/plugins/dailies/lib/render.ts';
import type { SendError, Sender } from '../../../src/plugins/dailies/lib/sender.ts';
import { FeedService, type FeedServiceOptions, type ServiceHooks } from '../../../src/plugins/dailies/lib/service.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../../helpers/postgres.ts';

/** One message a {@link RecordingSender} got. */
export interface Post {
	channelId: string;
	payload: MessagePayload;
	nonce: string | undefined;
	messageId: string;
}

/** A sender that records posts (and fails for channels told to). */
export class RecordingSender implements Sender {
	readonly posts: Post[] = [];
	readonly failing = new Map<string, SendError>();
	#next = 1_000_000_000_000_000_000n;

	public async send(channelId: string, payload: MessagePayload, nonce?: string): Promise<string> {
		const failure = this.failing.get(channelId);
		if (failure) throw failure;
		const messageId = String(this.#next++);
		this.posts.push({ channelId, payload, nonce, messageId });
		return messageId;
	}

	/** Posts into a channel. */
	public in(channelId: string): Post[] {
		return this.posts.filter((post) => post.channelId === channelId);
	}
}

/** A text of a post (content, or the embed's title). */
export const postText = (post: Post) => post.payload.content ?? post.payload.embeds?.[0]?.title ?? '';

/** A clock tests move by hand. */
export class Clock {
	now = new Date('2026-12-02T00:00:00Z');
	public advance(ms: number): void {
		this.now = new Date(this.now.getTime() + ms);
	}
}

/** The feed engine against a scratch database: ORM, fetcher, poller(s) and service, without Discord. */
export class Engine {
	db!: ScratchDatabase;
	orm!: MikroORM;
	readonly sender = new RecordingSender();
	readonly clock = new Clock();
	readonly hooks: ServiceHooks = {
		timeZoneOf: () => 'Europe/Berlin',
		localeOf: () => 'en-GB',
		alertsChannelOf: () => null,
		channelProblem: (_guildId, channelId) => (channelId.startsWith('9') ? 'is not a channel of this server' : null)
	};
	fetcher!: FeedFetcher;
	poller!: FeedPoller;
	service!: FeedService;

	public async start(
		options: { fetcher?: Partial<FetcherOptions>; poller?: Partial<PollerOptions>; service?: Partial<FeedServiceOptions> } = {}
	) {
		this.db = await createScratchDatabase('facet_dailies');
		await query(this.db.url, `alter database "${this.db.name}" set synchronous_commit = off`);
		this.orm = await this.connect();
		await this.orm.migrator.up();
		this.build(options);
		return this;
	}

	/** A new ORM on the same database (a second worker, or the bot after a restart). */
	public connect(): Promise<MikroORM> {
		return MikroORM.init(createOrmConfig({ clientUrl: this.db.url, plugins: [dailiesPlugin], poolMax: 4 }));
	}

	/** (Re)builds fetcher, poller and service, as a process start does. */
	public build(
		options: { fetcher?: Partial<FetcherOptions>; poller?: Partial<PollerOptions>; service?: Partial<FeedServiceOptions> } = {},
		orm = this.orm
	) {
		this.fetcher = new FeedFetcher({ allowPrivate: true, timeoutMs: 1_000, ...options.fetcher });
		this.poller = this.makePoller(orm, options.poller);
		this.service = new FeedService(orm, this.fetcher, this.sender, this.hooks, { now: () => this.clock.now, ...options.service });
	}

	/** A poller (another worker) on the given ORM. */
	public makePoller(orm: MikroORM, options: Partial<PollerOptions> = {}, fetcher = this.fetcher): FeedPoller {
		return new FeedPoller(orm, fetcher, this.sender, this.hooks, pino({ level: 'silent' }), { now: () => this.clock.now, ...options });
	}

	/** Rows of a query on the scratch database. */
	public sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
		return this.orm.em.fork().getConnection().execute<T[]>(text, params);
	}

	public async stop(): Promise<void> {
		await this.fetcher?.close().catch(() => undefined);
		await this.orm?.close();
		await this.db?.drop();
	}
}
