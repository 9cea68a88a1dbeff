import type { MikroORM } from '@mikro-orm/postgresql';
import { PluginHook, type SapphireClient } from '@sapphire/framework';
import { ClientApplication, ClientUser, DiscordAPIError, type Guild, RESTJSONErrorCodes, Routes } from 'discord.js';
import type { Logger } from 'pino';
import { CoreGuild } from './entities/CoreGuild.ts';

/**
 * Records guilds the bot is in, in one statement for any number of them: new ones are inserted, known ones get their
 * current name and are marked present again (`left_at` cleared); `joined_at` stays the first join's. The rows travel
 * as one JSON parameter, so 1,000 guilds cost one short statement to build rather than 1,000 entities to diff.
 */
export async function recordGuilds(orm: MikroORM, guilds: readonly { id: string; name: string }[]): Promise<void> {
	if (guilds.length === 0) return;
	await orm.em.fork().execute(
		`insert into core_guild (id, name, left_at, updated_at)
		 select id, name, null, now() from json_to_recordset(?::json) as joined(id varchar(20), name varchar(100))
		 on conflict (id) do update set name = excluded.name, left_at = null, updated_at = excluded.updated_at`,
		[JSON.stringify(guilds.map(({ id, name }) => ({ id, name })))],
		'run'
	);
}

/** Defaults of {@link GuildDirectory}. */
export const DefaultGuildDirectoryOptions = {
	/** How long a guild fetched over REST (no gateway) is served before it is fetched again. */
	restTtlMs: 30_000,
	/** How often a process without a gateway re-reads which guilds the bot is in (`core_guild`, one indexed read). */
	knownRefreshMs: 10_000
};

/**
 * Where the core finds a guild. A process that holds gateway shards answers from discord.js' cache, which the gateway
 * keeps current. A process without a gateway (the `api` and `worker` roles) has an empty cache: it fetches a guild,
 * its channels and the bot's own member over REST on first use and again after `restTtlMs` (so routes that read
 * `client.guilds.cache` afterwards work as in a bot process), and it knows which guilds the bot is in from
 * `core_guild`, which the bot processes keep on join, leave and ready.
 */
export class GuildDirectory {
	readonly #client: SapphireClient;
	readonly #gateway: boolean;
	readonly #options: typeof DefaultGuildDirectoryOptions;
	readonly #fetchedAt = new Map<string, number>();
	readonly #inflight = new Map<string, Promise<Guild | undefined>>();
	#known = new Set<string>();
	#timer: NodeJS.Timeout | null = null;
	#restReady = false;

	public constructor(client: SapphireClient, options: { gateway: boolean } & Partial<typeof DefaultGuildDirectoryOptions>) {
		this.#client = client;
		this.#gateway = options.gateway;
		this.#options = { ...DefaultGuildDirectoryOptions, ...options };
	}

	/** True when this process holds gateway shards (its cache is the gateway's). */
	public get gateway(): boolean {
		return this.#gateway;
	}

	/** Discord can be asked: the gateway is READY, or (without one) the REST identity was loaded. */
	public ready(): boolean {
		return this.#gateway ? this.#client.isReady() : this.#restReady;
	}

	/** The guild, or undefined when the bot is not in it (or Discord does not say). */
	public async get(guildId: string): Promise<Guild | undefined> {
		const cached = this.#client.guilds.cache.get(guildId);
		if (this.#gateway) return cached;
		const at = this.#fetchedAt.get(guildId);
		if (at !== undefined && Date.now() - at < this.#options.restTtlMs) return cached;
		const running = this.#inflight.get(guildId);
		if (running) return running;
		const fetching = this.#fetch(guildId).finally(() => this.#inflight.delete(guildId));
		this.#inflight.set(guildId, fetching);
		return fetching;
	}

	/** Whether the bot is in the guild, from memory: the gateway cache, or the guilds recorded in `core_guild`. */
	public has(guildId: string): boolean {
		return this.#gateway ? this.#client.guilds.cache.has(guildId) : this.#known.has(guildId);
	}

	/** Every guild this process serves: its shards' guilds, or (without a gateway) every guild the bot is in. */
	public ids(): Iterable<string> {
		return this.#gateway ? this.#client.guilds.cache.keys() : this.#known;
	}

	async #fetch(guildId: string): Promise<Guild | undefined> {
		try {
			const guild = await this.#client.guilds.fetch({ guild: guildId, force: true });
			await guild.channels.fetch();
			await guild.members.fetchMe();
			// discord.js marks a guild built without a `channels` array (REST's) unavailable; its channels are loaded now.
			guild.available = true;
			this.#fetchedAt.set(guildId, Date.now());
			return guild;
		} catch (error) {
			const gone =
				error instanceof DiscordAPIError &&
				(error.code === RESTJSONErrorCodes.UnknownGuild || error.code === RESTJSONErrorCodes.MissingAccess || error.status === 404);
			if (!gone) throw error;
			this.#client.guilds.cache.delete(guildId);
			this.#fetchedAt.set(guildId, Date.now());
			return undefined;
		}
	}

	/**
	 * For a process without a gateway: logs the client in over REST only — the bot's user and application (what
	 * READY would carry), Sapphire's pre-login hooks (the API binds its port there when it serves), every store's
	 * pieces, then the post-login hooks (repeated tasks are scheduled there) — and starts following `core_guild`.
	 */
	public async restLogin(token: string, orm: MikroORM, logger: Logger): Promise<void> {
		const client = this.#client;
		client.token = token;
		await this.#identity(token);
		await this.#refreshKnown(orm);
		this.#timer = setInterval(() => {
			this.#refreshKnown(orm).catch((error: unknown) => logger.warn({ err: error }, 'could not re-read the guilds the bot is in'));
		}, this.#options.knownRefreshMs);
		this.#timer.unref();
		// SapphireClient.login without the gateway (its last step is discord.js' login, which connects).
		const hooks = (hook: PluginHook) => [...(client.constructor as typeof SapphireClient).plugins.values(hook as never)];
		for (const plugin of hooks(PluginHook.PreLogin)) await plugin.hook.call(client as never, client.options);
		await Promise.all([...client.stores.values()].map((store) => store.loadAll()));
		for (const plugin of hooks(PluginHook.PostLogin)) await plugin.hook.call(client as never, client.options);
		this.#restReady = true;
	}

	/** What discord.js builds from READY, over REST: routes and listeners read `client.user` and `client.application`. */
	async #identity(token: string): Promise<void> {
		const client = this.#client;
		client.rest.setToken(token);
		const [user, application] = await Promise.all([client.rest.get(Routes.user()), client.rest.get(Routes.currentApplication())]);
		// discord.js types these constructors as internal; they are what its READY handler calls.
		type Internal<T> = new (client: SapphireClient, data: unknown) => T;
		client.user = new (ClientUser as unknown as Internal<ClientUser>)(client, user);
		client.application = new (ClientApplication as unknown as Internal<ClientApplication>)(client, application);
		client.id = (user as { id: string }).id;
	}

	/**
	 * For a bot process about to RESUME sessions of an earlier process: a RESUME replays events but brings no READY
	 * and no GUILD_CREATE, so the bot's user and the guilds of these shards (from `core_guild`, with their channels
	 * and the bot's member) are loaded over REST first — the replayed events then find them in the cache. Returns how
	 * many guilds were loaded. Costs three requests per guild: the price of not losing the replay.
	 */
	public async hydrate(token: string, orm: MikroORM, shardIds: readonly number[], shardCount: number): Promise<number> {
		await this.#identity(token);
		await this.#refreshKnown(orm);
		const held = new Set(shardIds);
		const mine = [...this.#known].filter((id) => held.has(Number((BigInt(id) >> 22n) % BigInt(shardCount))));
		let loaded = 0;
		const queue = [...mine];
		const worker = async () => {
			for (let id = queue.shift(); id !== undefined; id = queue.shift()) if (await this.#fetch(id)) loaded++;
		};
		await Promise.all(Array.from({ length: Math.min(4, queue.length) }, worker));
		return loaded;
	}

	async #refreshKnown(orm: MikroORM): Promise<void> {
		const rows = await orm.em.fork().find(CoreGuild, { leftAt: null }, { fields: ['id'] });
		this.#known = new Set(rows.map((row) => row.id));
	}

	/** Stops following `core_guild`. */
	public stop(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
	}
}
