import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Command, CommandStore } from '@sapphire/framework';
import type { Client, REST } from 'discord.js';
import { DiscordAPIError, HTTPError, type RESTPostAPIApplicationCommandsJSONBody, Routes } from 'discord.js';
import type { Logger } from 'pino';
import { Counter, Gauge, register } from 'prom-client';
import { CoreCommandSync } from '../entities/CoreCommandSync.ts';
import type { PluginOwnership } from './ownership.ts';

/** Scope key of global commands in `core_command_sync`. */
export const GLOBAL_SCOPE = 'global';

type CommandData = RESTPostAPIApplicationCommandsJSONBody;

/** Defaults of {@link CommandSync}, in one place. */
export const DefaultCommandSyncOptions = {
	/**
	 * Command REST calls per second (verifying GETs and PUTs together). Discord allows a bot 50 requests/s in all;
	 * the rest is left for replies, role changes and the dashboard.
	 */
	ratePerSecond: 40,
	/** Guilds in flight at once: enough to keep the rate with real network latency, few enough to stay polite. */
	concurrency: 4,
	/** First retry of a failed scope; doubled per attempt (with ±20 % jitter) up to `retryMaxMs`. */
	retryBaseMs: 2_000,
	retryMaxMs: 15 * 60_000,
	/** Failing guilds listed by id in `/readyz` (the count is always exact). */
	failingListed: 25
};

/** Options of {@link CommandSync}. */
export interface CommandSyncOptions extends Partial<typeof DefaultCommandSyncOptions> {
	orm: MikroORM;
	rest: REST;
	logger: Logger;
	ownership: PluginOwnership;
	isEnabled: (guildId: string, plugin: string) => boolean;
}

/** One scope whose last sync failed, as `/readyz` shows it. */
export interface FailingScope {
	scope: string;
	/** Discord's JSON error code (50001 Missing Access …), or null for a network or database error. */
	code: number | string | null;
	status: number | null;
	attempts: number;
	retryAt: string;
}

/** Progress of the background sync, for `/readyz` details and metrics. */
export interface CommandSyncStatus {
	/** `idle` before the first READY, `syncing` while the sweep runs, `done` once every guild was tried. */
	state: 'idle' | 'syncing' | 'done';
	guilds: number;
	/** Guilds the current sweep has not reached yet. */
	pending: number;
	failingCount: number;
	failing: FailingScope[];
}

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

type Loose = Record<string, unknown>;

/** The parts of an option both our body and Discord's answer carry the same way (defaults made explicit). */
function canonicalOption(option: Loose): Loose {
	const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);
	return {
		type: option.type,
		name: option.name,
		description: option.description ?? '',
		required: option.required === true,
		autocomplete: option.autocomplete === true,
		choices: ((option.choices as Loose[] | undefined) ?? []).map((choice) => ({ name: choice.name, value: choice.value })),
		channel_types: [...((option.channel_types as number[] | undefined) ?? [])].sort(),
		min_value: numberOrNull(option.min_value),
		max_value: numberOrNull(option.max_value),
		min_length: numberOrNull(option.min_length),
		max_length: numberOrNull(option.max_length),
		options: ((option.options as Loose[] | undefined) ?? []).map(canonicalOption)
	};
}

/**
 * A command reduced to what decides how it works for users: type, name, description, options and default
 * permissions. Localisations, contexts and integration types are left out: Discord fills them in with defaults
 * that our bodies omit, so comparing them would re-send every guild on every start.
 */
function canonicalCommand(command: Loose): Loose {
	return {
		type: command.type ?? 1,
		name: command.name,
		description: command.description ?? '',
		default_member_permissions: command.default_member_permissions ?? null,
		options: ((command.options as Loose[] | undefined) ?? []).map(canonicalOption)
	};
}

/** Whether the commands Discord holds for a scope are the ones we want there. */
export function sameCommands(remote: unknown, wanted: CommandData[]): boolean {
	if (!Array.isArray(remote) || remote.length !== wanted.length) return false;
	const canon = (list: Loose[]) => list.map(canonicalCommand).map(stableStringify).sort().join('\n');
	return canon(remote as Loose[]) === canon(wanted as unknown as Loose[]);
}

function metric<T>(name: string, create: () => T): T {
	return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/** The instance the gauges read (one per process; tests that start Facet twice in one process replace it). */
let current: CommandSync | null = null;

const pendingGauge = metric(
	'facet_command_sync_pending_guilds',
	() =>
		new Gauge({
			name: 'facet_command_sync_pending_guilds',
			help: 'Guilds the background application-command sync has not reached yet',
			collect() {
				this.set(current?.status().pending ?? 0);
			}
		})
);
const failingGauge = metric(
	'facet_command_sync_failing_guilds',
	() =>
		new Gauge({
			name: 'facet_command_sync_failing_guilds',
			help: 'Scopes (guilds, or global) whose last application-command sync failed and waits for a retry',
			collect() {
				this.set(current?.status().failingCount ?? 0);
			}
		})
);
const requestCounter = metric(
	'facet_command_sync_requests_total',
	() =>
		new Counter({
			name: 'facet_command_sync_requests_total',
			help: 'Application-command REST calls by method (GET verifies, PUT writes) and result',
			labelNames: ['method', 'result']
		})
);
void pendingGauge;
void failingGauge;

interface Failure {
	code: number | string | null;
	status: number | null;
	attempts: number;
	retryAt: number;
	timer: NodeJS.Timeout;
}

/**
 * Registers application commands the way per-guild switches need: core commands globally, plugin commands per
 * guild (only the enabled plugins'), each scope sent with one bulk overwrite and only when it is not already
 * right. It replaces Sapphire's own registration.
 *
 * - Every scope is synced on its own: one guild that fails (50001 Missing Access: invited without the
 *   `applications.commands` scope) is logged by id and code, retried with backoff, and never holds up another.
 * - The sweep over every guild runs in the background at {@link DefaultCommandSyncOptions.ratePerSecond}:
 *   readiness does not wait for it.
 * - The stored hash is a cache: before it is trusted in a process, the scope's commands are read back from
 *   Discord (one GET) and compared; a scope found wrong is sent again.
 * - Progress is stored per scope as it completes, so a restart resumes where the last run stopped.
 */
export class CommandSync {
	readonly #orm: MikroORM;
	readonly #rest: REST;
	readonly #logger: Logger;
	readonly #ownership: PluginOwnership;
	readonly #isEnabled: (guildId: string, plugin: string) => boolean;
	readonly #options: typeof DefaultCommandSyncOptions;
	/** Hash last sent per scope, as stored. */
	readonly #hashes = new Map<string, string>();
	#hashesLoaded = false;
	/** Scopes whose stored hash this process confirmed against Discord (or wrote itself). */
	readonly #verified = new Set<string>();
	#global: CommandData[] = [];
	readonly #byPlugin = new Map<string, CommandData[]>();
	#applicationId = '';
	#client: Client<true> | null = null;
	/** Per-scope chains: a toggle during the sweep waits for that guild's sync in flight, never races it. */
	readonly #chains = new Map<string, Promise<unknown>>();
	/** Guilds the sweep still has to visit, in order. */
	readonly #pending = new Set<string>();
	readonly #failing = new Map<string, Failure>();
	#state: CommandSyncStatus['state'] = 'idle';
	#sweep: Promise<number> | null = null;
	#nextSlot = 0;
	#stopped = false;
	#globalSettled: () => void = () => undefined;
	/** Resolves once the first global-scope sync was tried (synced or failed and retrying): readiness waits for this only. */
	public readonly globalSettled = new Promise<void>((resolve) => {
		this.#globalSettled = resolve;
	});
	/** REST calls made (GET and PUT), for tests. */
	public requests = 0;

	public constructor(options: CommandSyncOptions) {
		this.#orm = options.orm;
		this.#rest = options.rest;
		this.#logger = options.logger;
		this.#ownership = options.ownership;
		this.#isEnabled = options.isEnabled;
		const defined = Object.fromEntries(
			Object.entries(options).filter(([key, value]) => key in DefaultCommandSyncOptions && value !== undefined)
		);
		this.#options = { ...DefaultCommandSyncOptions, ...defined };
		current = this;
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
		if (!this.#hashesLoaded) {
			for (const row of await this.#orm.em.fork().find(CoreCommandSync, {})) this.#hashes.set(row.scope, row.hash);
			this.#hashesLoaded = true;
		}
	}

	/**
	 * Collects from the command store, syncs the global scope (one request at most: core commands such as /ping work
	 * once this resolves) and starts the sweep over every guild in the background. `swept` resolves when every guild
	 * was tried once.
	 */
	public async start(client: Client<true>): Promise<{ swept: Promise<number> }> {
		this.#client = client;
		try {
			await this.collect(client.stores.get('commands'), client.application.id);
			await this.#syncSafely(GLOBAL_SCOPE);
		} finally {
			this.#globalSettled();
		}
		return { swept: this.#startSweep(client.guilds.cache.keys()) };
	}

	/** Re-collects (a command was added, edited or removed) and re-syncs whatever changed; resolves after the sweep. */
	public async refresh(): Promise<number> {
		const client = this.#client;
		if (!client) return 0;
		await this.collect(client.stores.get('commands'), client.application.id);
		const global = (await this.#syncSafely(GLOBAL_SCOPE)) ? 1 : 0;
		return global + (await this.#startSweep(client.guilds.cache.keys()));
	}

	/** The plugin commands a guild should see now. */
	public wanted(guildId: string): CommandData[] {
		return [...this.#byPlugin.entries()].filter(([plugin]) => this.#isEnabled(guildId, plugin)).flatMap(([, data]) => data);
	}

	/**
	 * Syncs one guild's plugin commands now (after a toggle or a join), ahead of the sweep. Resolves true if they were
	 * re-sent; never rejects: a failure is logged with the guild and Discord's code, and retried with backoff.
	 */
	public syncGuild(guildId: string): Promise<boolean> {
		return this.#syncSafely(guildId);
	}

	/** Where the background sync stands. */
	public status(): CommandSyncStatus {
		const failing = [...this.#failing.entries()];
		return {
			state: this.#state,
			guilds: this.#client?.guilds.cache.size ?? 0,
			pending: this.#pending.size,
			failingCount: failing.length,
			failing: failing.slice(0, this.#options.failingListed).map(([scope, failure]) => ({
				scope,
				code: failure.code,
				status: failure.status,
				attempts: failure.attempts,
				retryAt: new Date(failure.retryAt).toISOString()
			}))
		};
	}

	/** Forgets every hash: the next sync re-sends every scope (the remote side lost its commands). */
	public async forgetAll(): Promise<void> {
		this.#hashes.clear();
		this.#verified.clear();
		this.#hashesLoaded = true;
		await this.#orm.em.fork().nativeDelete(CoreCommandSync, {});
	}

	/** Forgets a guild (the bot left): a later join re-sends its commands. */
	public forget(guildId: string): Promise<void> {
		this.#pending.delete(guildId);
		this.#clearFailure(guildId);
		return this.#inScope(guildId, async () => {
			this.#hashes.delete(guildId);
			this.#verified.delete(guildId);
			await this.#orm.em.fork().nativeDelete(CoreCommandSync, { scope: guildId });
		});
	}

	/** Stops the sweep and every pending retry (shutdown). */
	public stop(): void {
		this.#stopped = true;
		this.#pending.clear();
		for (const failure of this.#failing.values()) clearTimeout(failure.timer);
	}

	#startSweep(guildIds: Iterable<string>): Promise<number> {
		for (const id of guildIds) this.#pending.add(id);
		// A sweep already running picks the added guilds up; otherwise start one.
		if (this.#sweep) return this.#sweep;
		this.#state = 'syncing';
		const started = Date.now();
		const sweep = (async () => {
			let sent = 0;
			const worker = async () => {
				while (!this.#stopped) {
					const next = this.#pending.values().next();
					if (next.done) return;
					this.#pending.delete(next.value);
					if (await this.#syncSafely(next.value)) sent++;
				}
			};
			await Promise.all(Array.from({ length: this.#options.concurrency }, worker));
			return sent;
		})();
		this.#sweep = sweep.finally(() => {
			this.#sweep = null;
			this.#state = 'done';
			const status = this.status();
			if (this.#stopped) {
				this.#logger.info({ ms: Date.now() - started }, 'application command sweep stopped (shutdown); the next start resumes it');
				return;
			}
			this.#logger.info(
				{ guilds: status.guilds, failing: status.failingCount, ms: Date.now() - started },
				status.failingCount ? 'application commands in sync, except failing guilds (retrying)' : 'application commands in sync'
			);
		});
		return this.#sweep;
	}

	#inScope<T>(scope: string, task: () => Promise<T>): Promise<T> {
		const run = (this.#chains.get(scope) ?? Promise.resolve()).then(task, task);
		const tail = run.catch(() => undefined);
		this.#chains.set(scope, tail);
		void tail.then(() => {
			if (this.#chains.get(scope) === tail) this.#chains.delete(scope);
		});
		return run;
	}

	async #syncSafely(scope: string): Promise<boolean> {
		if (this.#stopped) return false;
		try {
			const sent = await this.#inScope(scope, () => this.#syncScope(scope));
			if (this.#failing.has(scope)) {
				this.#logger.info({ scope, attempts: this.#failing.get(scope)?.attempts }, 'application command sync recovered');
				this.#clearFailure(scope);
			}
			return sent;
		} catch (error) {
			// Cut short by the shutdown (the client's token is gone): not a failure, the next start resumes the sweep.
			if (!this.#stopped) this.#recordFailure(scope, error);
			return false;
		}
	}

	#recordFailure(scope: string, error: unknown): void {
		const previous = this.#failing.get(scope);
		if (previous) clearTimeout(previous.timer);
		const attempts = (previous?.attempts ?? 0) + 1;
		const base = Math.min(this.#options.retryBaseMs * 2 ** (attempts - 1), this.#options.retryMaxMs);
		const delay = Math.round(base * (0.8 + Math.random() * 0.4));
		const code = error instanceof DiscordAPIError ? error.code : null;
		const status = error instanceof DiscordAPIError || error instanceof HTTPError ? error.status : null;
		const timer = setTimeout(() => {
			if (this.#isWanted(scope)) void this.#syncSafely(scope);
			else this.#clearFailure(scope);
		}, delay);
		timer.unref();
		this.#failing.set(scope, { code, status, attempts, retryAt: Date.now() + delay, timer });
		this.#logger.error(
			{ scope, ...(scope === GLOBAL_SCOPE ? {} : { guildId: scope }), code, status, attempt: attempts, retryInMs: delay, err: error },
			scope === GLOBAL_SCOPE ? 'global application command sync failed' : 'application command sync failed for a guild'
		);
	}

	/** A retry is still worth making: the global scope always, a guild while the bot is in it. */
	#isWanted(scope: string): boolean {
		return !this.#stopped && (scope === GLOBAL_SCOPE || this.#client?.guilds.cache.has(scope) !== false);
	}

	#clearFailure(scope: string): void {
		const failure = this.#failing.get(scope);
		if (failure) clearTimeout(failure.timer);
		this.#failing.delete(scope);
	}

	/** Waits for the next request slot: every command call of this process shares one paced stream. */
	async #pace(): Promise<void> {
		const now = Date.now();
		const slot = Math.max(now, this.#nextSlot);
		this.#nextSlot = slot + 1_000 / this.#options.ratePerSecond;
		if (slot > now) await sleep(slot - now);
	}

	async #call<T>(method: 'GET' | 'PUT', route: `/${string}`, body?: CommandData[]): Promise<T> {
		await this.#pace();
		this.requests++;
		try {
			// discord.js' REST client also queues per bucket and waits out 429s.
			const result = (method === 'GET' ? await this.#rest.get(route) : await this.#rest.put(route, { body })) as T;
			requestCounter.inc({ method, result: 'ok' });
			return result;
		} catch (error) {
			requestCounter.inc({ method, result: 'error' });
			throw error;
		}
	}

	async #syncScope(scope: string): Promise<boolean> {
		const commands = scope === GLOBAL_SCOPE ? this.#global : this.wanted(scope);
		const hash = hashCommands(this.#applicationId, commands);
		const route =
			scope === GLOBAL_SCOPE
				? Routes.applicationCommands(this.#applicationId)
				: Routes.applicationGuildCommands(this.#applicationId, scope);
		if (this.#hashes.get(scope) === hash) {
			if (this.#verified.has(scope)) return false;
			// The stored hash says "already right": check with Discord once per process before believing it.
			if (sameCommands(await this.#call('GET', route), commands)) {
				this.#verified.add(scope);
				return false;
			}
			this.#logger.warn({ scope }, 'application commands on Discord differ from those last sent; sending them again');
		}
		await this.#call('PUT', route, commands);
		// Stored before it is trusted in memory: if the write fails, the retry sends the (harmless) PUT again.
		await this.#orm.em.fork().upsert(CoreCommandSync, { scope, hash, syncedAt: new Date() });
		this.#verified.add(scope);
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
