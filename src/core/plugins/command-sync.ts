import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Command, CommandStore } from '@sapphire/framework';
import type { Client, REST } from 'discord.js';
import { type RESTPostAPIApplicationCommandsJSONBody, Routes } from 'discord.js';
import type { Logger } from 'pino';
import { CoreCommandSync } from '../entities/CoreCommandSync.ts';
import type { PluginOwnership } from './ownership.ts';

/** Scope key of global commands in `core_command_sync`. */
export const GLOBAL_SCOPE = 'global';

type CommandData = RESTPostAPIApplicationCommandsJSONBody;

/** Stable JSON (sorted keys) so equal sets hash equally whatever order they were built in. */
function stableStringify(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
	if (value && typeof value === 'object') {
		return `{${Object.keys(value as object)
			.filter((key) => (value as Record<string, unknown>)[key] !== undefined)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value);
}

/** Hash of a command set for an application, order-independent. */
export function hashCommands(applicationId: string, commands: CommandData[]): string {
	const sorted = [...commands].sort((a, b) => a.name.localeCompare(b.name) || (a.type ?? 1) - (b.type ?? 1));
	return createHash('sha256').update(applicationId).update('\0').update(stableStringify(sorted)).digest('hex');
}

/**
 * Registers application commands the way per-guild switches need: core commands globally, plugin
 * commands per guild (only the enabled plugins'), each scope sent with one bulk overwrite and only when
 * its hash differs from the last one sent. It replaces Sapphire's own registration.
 */
export class CommandSync {
	readonly #orm: MikroORM;
	readonly #rest: REST;
	readonly #logger: Logger;
	readonly #ownership: PluginOwnership;
	readonly #isEnabled: (guildId: string, plugin: string) => boolean;
	readonly #hashes = new Map<string, string>();
	#global: CommandData[] = [];
	readonly #byPlugin = new Map<string, CommandData[]>();
	#applicationId = '';
	#client: Client<true> | null = null;
	// Serialises syncs: a toggle during the start-up sweep must not race it for the same guild.
	#queue: Promise<unknown> = Promise.resolve();
	/** REST calls made, for tests and metrics. */
	public requests = 0;

	public constructor(options: {
		orm: MikroORM;
		rest: REST;
		logger: Logger;
		ownership: PluginOwnership;
		isEnabled: (guildId: string, plugin: string) => boolean;
	}) {
		this.#orm = options.orm;
		this.#rest = options.rest;
		this.#logger = options.logger;
		this.#ownership = options.ownership;
		this.#isEnabled = options.isEnabled;
	}

	/** Builds every command's data from its piece and loads the hashes last sent. */
	public async collect(store: CommandStore, applicationId: string): Promise<void> {
		this.#applicationId = applicationId;
		this.#global = [];
		this.#byPlugin.clear();
		for (const command of store.values()) {
			for (const data of await commandData(command)) {
				const plugin = this.#ownership.of(command);
				if (plugin === null) this.#global.push(data);
				else {
					const list = this.#byPlugin.get(plugin) ?? [];
					list.push(data);
					this.#byPlugin.set(plugin, list);
				}
			}
		}
		if (this.#hashes.size === 0) {
			for (const row of await this.#orm.em.fork().find(CoreCommandSync, {})) this.#hashes.set(row.scope, row.hash);
		}
	}

	/** Collects from the command store and syncs global commands and every guild the client is in. */
	public async start(client: Client<true>): Promise<number> {
		this.#client = client;
		await this.collect(client.stores.get('commands'), client.application.id);
		return this.syncAll(client.guilds.cache.keys());
	}

	/** Re-collects (a command was added, edited or removed) and re-syncs whatever changed. */
	public async refresh(): Promise<number> {
		const client = this.#client;
		if (!client) return 0;
		await this.collect(client.stores.get('commands'), client.application.id);
		return this.syncAll(client.guilds.cache.keys());
	}

	/** The plugin commands a guild should see now. */
	public wanted(guildId: string): CommandData[] {
		return [...this.#byPlugin.entries()].filter(([plugin]) => this.#isEnabled(guildId, plugin)).flatMap(([, data]) => data);
	}

	/** Syncs global commands and every listed guild; returns how many scopes were re-sent. */
	public syncAll(guildIds: Iterable<string>): Promise<number> {
		return this.#enqueue(async () => {
			let sent = (await this.#syncScope(GLOBAL_SCOPE, this.#global)) ? 1 : 0;
			for (const guildId of guildIds) if (await this.#syncScope(guildId, this.wanted(guildId))) sent++;
			return sent;
		});
	}

	/** Syncs one guild's plugin commands (after a toggle or a join). Resolves true if they were re-sent. */
	public syncGuild(guildId: string): Promise<boolean> {
		return this.#enqueue(() => this.#syncScope(guildId, this.wanted(guildId)));
	}

	/** Forgets every hash: the next sync re-sends every scope (the remote side lost its commands). */
	public async forgetAll(): Promise<void> {
		this.#hashes.clear();
		await this.#orm.em.fork().nativeDelete(CoreCommandSync, {});
	}

	/** Forgets a guild (the bot left): a later join re-sends its commands. */
	public forget(guildId: string): Promise<void> {
		return this.#enqueue(async () => {
			this.#hashes.delete(guildId);
			await this.#orm.em.fork().nativeDelete(CoreCommandSync, { scope: guildId });
		});
	}

	#enqueue<T>(task: () => Promise<T>): Promise<T> {
		const run = this.#queue.then(task, task);
		this.#queue = run.catch(() => undefined);
		return run;
	}

	async #syncScope(scope: string, commands: CommandData[]): Promise<boolean> {
		const hash = hashCommands(this.#applicationId, commands);
		if (this.#hashes.get(scope) === hash) return false;
		const route =
			scope === GLOBAL_SCOPE
				? Routes.applicationCommands(this.#applicationId)
				: Routes.applicationGuildCommands(this.#applicationId, scope);
		// discord.js' REST client queues per rate-limit bucket and retries 429s, so a sweep over many guilds paces itself.
		this.requests++;
		await this.#rest.put(route, { body: commands });
		await this.#orm.em.fork().upsert(CoreCommandSync, { scope, hash, syncedAt: new Date() });
		this.#hashes.set(scope, hash);
		this.#logger.debug({ scope, commands: commands.length }, 'application commands synced');
		return true;
	}
}

/** Runs a command's `registerApplicationCommands` against a throwaway registry and returns the JSON it built. */
async function commandData(command: Command): Promise<CommandData[]> {
	if (!command.registerApplicationCommands) return [];
	const registry = command.applicationCommandRegistry;
	const calls = (registry as unknown as { apiCalls: { builtData: CommandData }[] }).apiCalls;
	calls.length = 0;
	await command.registerApplicationCommands(registry);
	return calls.map((call) => call.builtData);
}
