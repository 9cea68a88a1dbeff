import { EventEmitter } from 'node:events';
import type { InferEntity } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Guild } from 'discord.js';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CoreAuditEntry } from '../entities/CoreAuditEntry.ts';
import { CorePluginState } from '../entities/CorePluginState.ts';
import { FacetError, FacetIdentifiers, fieldErrorsOf, SettingsValidationError } from '../errors.ts';
import { referenceProblems } from '../references.ts';
import type { PluginManifest } from './manifest.ts';

/** Who made a change, for the audit log. */
export interface Actor {
	id: string;
	source: 'command' | 'api' | 'revert' | 'system';
}

/**
 * The pub/sub channel on which processes announce a changed plugin state, per deployment: processes that share
 * a database share the channel; another deployment on the same Redis (staging, tests) does not hear it.
 */
export function pluginStateChannel(deployment: string): string {
	return `facet:${deployment}:plugin-state`;
}
/**
 * The Redis counter every committed change increments, per deployment. Each process compares it with the changes
 * it heard of, so one that missed an announcement notices within {@link DefaultPluginStateSyncOptions.checkIntervalMs}.
 */
export function pluginStateVersionKey(deployment: string): string {
	return `facet:${deployment}:plugin-state:version`;
}

/** Defaults of the cross-process convergence of plugin state. */
export const DefaultPluginStateSyncOptions = {
	/** How often the version counter is compared (env `PLUGIN_STATE_CHECK_SECONDS`). */
	checkIntervalMs: 30_000
};

/** Audit key used for a plugin's on/off switch. */
export const ENABLED_KEY = '$enabled';

interface CachedState {
	enabled: boolean | null;
	settings: Record<string, unknown>;
	/** The row's write counter: the cache only ever moves to a newer version (replies to concurrent writes arrive in any order). */
	version: number;
	/** `settings` parsed with the plugin's schema, made on first read (every change replaces the whole state). */
	parsed?: unknown;
}

type CorePluginStateRow = {
	guildId: string;
	plugin: string;
	enabled?: boolean | null;
	settings: Record<string, unknown>;
	version?: number | string;
};

/** One audited change: a settings key or the switch, with the stored value before and after (`null`: unset). */
export interface StateChange {
	key: string;
	before: { value: unknown } | null;
	after: { value: unknown } | null;
}

/** A guild's stored state of one plugin, as read under the row lock. */
export interface StoredPluginState {
	enabled: boolean | null;
	settings: Record<string, unknown>;
}

/** What a write does to the locked row: the switch, keys to set, keys to remove, and the audit entries it makes. */
interface WritePlan {
	enabled?: boolean | null;
	set?: Record<string, unknown>;
	unset?: string[];
	changes: StateChange[];
}

/** An audit entry as the service returns it. */
export type AuditEntry = InferEntity<typeof CoreAuditEntry>;

/** A settings patch, or a function of the current (stored, defaults filled in) settings that makes one. */
export type SettingsPatch<T = Record<string, unknown>> = Record<string, unknown> | ((current: T) => Record<string, unknown>);

/** Freezes a parsed settings object all the way down: it is shared by every reader. */
function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object' && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const child of Object.values(value)) deepFreeze(child);
	}
	return value;
}

/** Events of {@link PluginService}: `changed` after any process changed a state. */
export interface PluginServiceEvents {
	/** `local` is true in the process that made the change. */
	changed: [guildId: string, plugin: string, local: boolean];
}

const stateKey = (guildId: string, plugin: string) => `${guildId}:${plugin}`;
const splitKey = (key: string): [guildId: string, plugin: string] => {
	const at = key.indexOf(':');
	return [key.slice(0, at), key.slice(at + 1)];
};

/**
 * The cached states, by plugin then guild: listeners read it on every event (the gate's switch, then the settings),
 * and two lookups by the strings the event already holds cost less than building and hashing a `guild:plugin` key
 * each time. Bookkeeping that works on keys (the resync's diff) goes through the key methods.
 */
class StateCache {
	readonly #byPlugin = new Map<string, Map<string, CachedState>>();

	public get(guildId: string, plugin: string): CachedState | undefined {
		return this.#byPlugin.get(plugin)?.get(guildId);
	}

	public set(guildId: string, plugin: string, state: CachedState): void {
		const guilds = this.#byPlugin.get(plugin);
		if (guilds) guilds.set(guildId, state);
		else this.#byPlugin.set(plugin, new Map([[guildId, state]]));
	}

	public delete(guildId: string, plugin: string): void {
		this.#byPlugin.get(plugin)?.delete(guildId);
	}

	public getKey(key: string): CachedState | undefined {
		return this.get(...splitKey(key));
	}

	public *keys(): IterableIterator<string> {
		for (const [plugin, guilds] of this.#byPlugin) for (const guildId of guilds.keys()) yield stateKey(guildId, plugin);
	}
}

/**
 * Per-guild plugin switches and settings. Reads come from an in-process cache loaded once at start, so
 * no Discord event ever queries the database; writes go to the database with their audit entries in one
 * transaction, then are announced over Redis so every process reloads that one row.
 */
export class PluginService extends EventEmitter<PluginServiceEvents> {
	readonly #manifests: Map<string, PluginManifest>;
	readonly #orm: MikroORM;
	readonly #redis: Redis;
	readonly #logger: Logger;
	readonly #cache = new StateCache();
	/** Each plugin's default settings, parsed once. */
	readonly #defaults = new Map<string, unknown>();
	readonly #instance = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
	#subscriber: Redis | null = null;
	readonly #channel: string;
	readonly #versionKey: string;
	readonly #sync: typeof DefaultPluginStateSyncOptions;
	/** The version counter's value this process's cache accounts for (null: not read yet). */
	#known: number | null = null;
	/** Versions announced (or written here) above `#known`: heard of, so not missed. */
	readonly #heard = new Set<number>();
	/** Changes committed here whose announcement failed: announced again once Redis answers. */
	readonly #unannounced = new Map<string, { guildId: string; plugin: string }>();
	/** Bumped whenever one cache entry is replaced, so a full reload never overwrites a newer single-row reload. */
	#seq = 0;
	readonly #touched = new Map<string, number>();
	#resyncing: Promise<void> | null = null;
	#resyncAgain = false;
	#checkTimer: NodeJS.Timeout | null = null;
	readonly #onRedisReady = () => void this.#announcePending();
	/**
	 * The bot's cached guild, for checking the channels and roles settings name (see `src/core/references.ts`). Set by
	 * boot once the client exists; without it (unit tests) references are only checked for their form.
	 */
	public guildLookup: ((guildId: string) => Guild | undefined) | null = null;

	public constructor(
		manifests: PluginManifest[],
		orm: MikroORM,
		redis: Redis,
		logger: Logger,
		deployment = 'default',
		sync: Partial<typeof DefaultPluginStateSyncOptions> = {}
	) {
		super();
		this.#channel = pluginStateChannel(deployment);
		this.#versionKey = pluginStateVersionKey(deployment);
		this.#sync = { ...DefaultPluginStateSyncOptions, ...sync };
		this.#manifests = new Map(manifests.map((manifest) => [manifest.name, manifest]));
		this.#orm = orm;
		this.#redis = redis;
		this.#logger = logger;
	}

	/** Every plugin, in load order. */
	public list(): PluginManifest[] {
		return [...this.#manifests.values()];
	}

	/** A plugin's manifest, or undefined. */
	public get(name: string): PluginManifest | undefined {
		return this.#manifests.get(name);
	}

	/**
	 * Loads every stored state (one query) and subscribes to changes made by other processes. After every reconnect
	 * of the subscription the whole state is reloaded (what was announced meanwhile was lost), and every
	 * `checkIntervalMs` the version counter is compared with what this process heard of.
	 */
	public async start(): Promise<void> {
		// Read before the rows: a change committed in between is then seen as newer, never as already loaded.
		this.#known = await this.#readVersion();
		const rows = await this.#orm.em.fork().find(CorePluginState, {});
		for (const row of rows) this.#remember(row.guildId, row.plugin, row);
		this.#subscriber = this.#redis.duplicate({ connectionName: `facet-plugin-state-${this.#instance}` });
		this.#subscriber.on('message', (_channel: string, message: string) => void this.#onRemoteChange(message));
		this.#subscriber.on('error', () => undefined);
		await this.#subscriber.subscribe(this.#channel);
		// ioredis subscribes again by itself after a reconnect; what was published while it was away is gone.
		this.#subscriber.on('ready', () => void this.resync('subscription reconnected'));
		this.#redis.on('ready', this.#onRedisReady);
		this.#checkTimer = setInterval(() => void this.#check(), this.#sync.checkIntervalMs);
		this.#checkTimer.unref();
	}

	/** Stops listening for changes. */
	public async stop(): Promise<void> {
		if (this.#checkTimer) clearInterval(this.#checkTimer);
		this.#checkTimer = null;
		this.#redis.off('ready', this.#onRedisReady);
		const subscriber = this.#subscriber;
		this.#subscriber = null;
		subscriber?.removeAllListeners('ready');
		await subscriber?.quit().catch(() => subscriber.disconnect());
	}

	/**
	 * Reloads every stored state and announces (as remote changes) the entries that differ from the cache. Runs after
	 * a reconnect and when the version check finds a change this process did not hear of; one at a time.
	 */
	public resync(reason: string): Promise<void> {
		if (this.#resyncing) {
			this.#resyncAgain = true;
			return this.#resyncing;
		}
		this.#resyncing = (async () => {
			do {
				this.#resyncAgain = false;
				await this.#reloadAll(reason);
			} while (this.#resyncAgain && this.#subscriber);
		})().finally(() => {
			this.#resyncing = null;
		});
		return this.#resyncing;
	}

	async #reloadAll(reason: string): Promise<void> {
		const started = Date.now();
		const mark = this.#seq;
		let version: number | null;
		let rows: CorePluginStateRow[];
		try {
			version = await this.#readVersion();
			rows = await this.#orm.em.fork().find(CorePluginState, {});
		} catch (error) {
			// The next check (or reconnect) tries again: `#known` is left as it was.
			this.#logger.error({ err: error, reason }, 'could not resynchronise plugin state');
			return;
		}
		const fresh = new Map(
			rows.map((row) => [
				stateKey(row.guildId, row.plugin),
				{ enabled: row.enabled ?? null, settings: row.settings, version: Number(row.version ?? 0) }
			])
		);
		const changed: string[] = [];
		for (const key of new Set([...this.#cache.keys(), ...fresh.keys()])) {
			// Replaced after the reload began (by an announcement or a write here): that value is newer than the rows read.
			if ((this.#touched.get(key) ?? 0) > mark) continue;
			const before = this.#cache.getKey(key);
			const after = fresh.get(key);
			// A row written here after those rows were read (its version is higher) stays.
			if (before && after && before.version > after.version) continue;
			const same =
				before && after
					? before.enabled === after.enabled && JSON.stringify(before.settings) === JSON.stringify(after.settings)
					: before === after;
			if (same) continue;
			if (after) this.#cache.set(...splitKey(key), after);
			else this.#cache.delete(...splitKey(key));
			changed.push(key);
		}
		this.#accountFor(version);
		for (const key of changed) this.emit('changed', ...splitKey(key), false);
		this.#logger.info({ reason, rows: rows.length, changed: changed.length, ms: Date.now() - started }, 'plugin state resynchronised');
	}

	/** Compares the version counter with what this process heard of; a gap means a missed announcement. */
	async #check(): Promise<void> {
		let version: number | null;
		try {
			version = await this.#readVersion();
		} catch {
			// Redis is down: its outage is logged by the connection, and a reconnect triggers a resync anyway.
			return;
		}
		const known = this.#known;
		if (version === known) return;
		let missed = known === null || version === null || version < known;
		if (!missed && version !== null && known !== null) {
			for (let v = known + 1; v <= version; v++) {
				if (!this.#heard.has(v)) {
					missed = true;
					break;
				}
			}
		}
		if (missed) await this.resync(`version ${version ?? 'unset'} in Redis, ${known ?? 'unset'} accounted for`);
		else this.#accountFor(version);
	}

	#accountFor(version: number | null): void {
		this.#known = version;
		for (const heard of this.#heard) if (version === null || heard <= version) this.#heard.delete(heard);
	}

	async #readVersion(): Promise<number | null> {
		const value = await this.#redis.get(this.#versionKey);
		return value === null ? null : Number(value);
	}

	#touch(key: string): void {
		this.#touched.set(key, ++this.#seq);
	}

	/** Whether the plugin is on in the guild. Synchronous, from memory: safe on every event. */
	public isEnabled(guildId: string, plugin: string): boolean {
		const manifest = this.#manifests.get(plugin);
		if (!manifest) return false;
		if (manifest.required) return true;
		return this.#cache.get(guildId, plugin)?.enabled ?? manifest.defaultEnabled;
	}

	/**
	 * The plugin's settings in the guild, defaults filled in. Synchronous, from memory; parsed once per change, not
	 * per call (listeners read it on every event), so the object is shared and frozen: copy it to change it.
	 */
	public settings<T = Record<string, unknown>>(guildId: string, plugin: string): T {
		const manifest = this.#requireManifest(plugin);
		const cached = this.#cache.get(guildId, plugin);
		if (cached?.parsed !== undefined) return cached.parsed as T;
		if (!cached) {
			if (!this.#defaults.has(plugin)) this.#defaults.set(plugin, deepFreeze(manifest.settings.parse({})));
			return this.#defaults.get(plugin) as T;
		}
		const parsed = manifest.settings.safeParse(cached.settings);
		// A stored value that no longer passes (schema changed) falls back to defaults rather than failing every event.
		cached.parsed = deepFreeze(parsed.success ? parsed.data : manifest.settings.parse({}));
		return cached.parsed as T;
	}

	/** Roles granted dashboard access in the guild, by every plugin that grants any. */
	public dashboardRoles(guildId: string): string[] {
		return [...new Set(this.list().flatMap((plugin) => [...(plugin.dashboardRoles?.(guildId) ?? [])]))];
	}

	/**
	 * Switches a plugin on or off in a guild. Refuses required plugins. Audited, with `before` read from the stored
	 * row under its lock, so concurrent switches (any process) chain: no change is recorded twice or lost.
	 */
	public async setEnabled(guildId: string, plugin: string, enabled: boolean, actor: Actor): Promise<{ changed: boolean }> {
		const manifest = this.#requireManifest(plugin);
		if (manifest.required && !enabled) {
			throw new FacetError(FacetIdentifiers.PluginRequired, `The ${plugin} plugin is required and cannot be disabled.`, { plugin });
		}
		const { changes } = await this.#write(guildId, plugin, actor, (stored) => {
			const before = manifest.required || (stored.enabled ?? manifest.defaultEnabled);
			if (before === enabled) return { changes: [] };
			return { enabled, changes: [{ key: ENABLED_KEY, before: { value: before }, after: { value: enabled } }] };
		});
		if (changes.length === 0) return { changed: false };
		try {
			await (enabled ? manifest.onEnable : manifest.onDisable)?.(guildId);
		} catch (error) {
			this.#logger.error({ err: error, guildId, plugin }, 'plugin enable/disable hook failed');
		}
		return { changed: true };
	}

	/**
	 * Merges `patch` into the guild's settings after validating the result with the plugin's schema.
	 * Invalid → {@link SettingsValidationError} with field errors, nothing written. Keys set to `undefined` are reset.
	 * The merge is made against the stored row under its lock and only the patched keys are written, so concurrent
	 * changes to other keys (any request, command or process) all survive. A function patch is given the stored
	 * settings (defaults filled in): use it for a change that depends on the current value (add to a list).
	 */
	public async updateSettings<T = Record<string, unknown>>(
		guildId: string,
		plugin: string,
		patch: SettingsPatch<T>,
		actor: Actor
	): Promise<Record<string, unknown>> {
		const manifest = this.#requireManifest(plugin);
		await this.#write(guildId, plugin, actor, (stored) => {
			const current = stored.settings;
			const wanted = typeof patch === 'function' ? patch(this.#parse(manifest, current) as T) : patch;
			const next: Record<string, unknown> = { ...current };
			for (const [key, value] of Object.entries(wanted)) {
				if (value === undefined) delete next[key];
				else next[key] = value;
			}
			const result = manifest.settings.safeParse(next);
			if (!result.success) throw new SettingsValidationError(plugin, fieldErrorsOf(result.error));
			const known = new Set(Object.keys(result.data as Record<string, unknown>));
			const unknownKeys = Object.keys(wanted).filter((key) => !known.has(key));
			if (unknownKeys.length)
				throw new SettingsValidationError(plugin, Object.fromEntries(unknownKeys.map((key) => [key, ['unknown setting']])));
			this.#checkReferences(guildId, manifest, result.data, Object.keys(wanted));
			const changes = Object.keys(wanted)
				.filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]))
				.map((key) => ({
					key,
					before: key in current ? { value: current[key] } : null,
					after: key in next ? { value: next[key] } : null
				}));
			return {
				set: Object.fromEntries(changes.filter((change) => change.after).map((change) => [change.key, change.after!.value])),
				unset: changes.filter((change) => !change.after).map((change) => change.key),
				changes
			};
		});
		return this.settings(guildId, plugin);
	}

	/** Refuses a write whose channel or role references do not name the right thing in the guild (only the keys written). */
	#checkReferences(guildId: string, manifest: PluginManifest, settings: unknown, keys: string[]): void {
		if (!this.guildLookup) return;
		const fields = referenceProblems(manifest.settings, settings, this.guildLookup(guildId), keys);
		if (fields) throw new SettingsValidationError(manifest.name, fields);
	}

	#requireManifest(plugin: string): PluginManifest {
		const manifest = this.#manifests.get(plugin);
		if (!manifest) throw new FacetError(FacetIdentifiers.UnknownPlugin, `There is no plugin named "${plugin}".`, { plugin });
		return manifest;
	}

	/** Stored settings parsed with the plugin's schema; a stored value that no longer passes falls back to the defaults. */
	#parse(manifest: PluginManifest, stored: Record<string, unknown>): unknown {
		const parsed = manifest.settings.safeParse(stored);
		return parsed.success ? parsed.data : manifest.settings.parse({});
	}

	/** Puts a row's state in the cache unless the cache already holds a newer version of it. */
	#remember(
		guildId: string,
		plugin: string,
		row: { enabled?: boolean | null; settings: Record<string, unknown>; version?: number | string }
	) {
		const version = Number(row.version ?? 0);
		const cached = this.#cache.get(guildId, plugin);
		if (cached && cached.version > version) return;
		this.#cache.set(guildId, plugin, { enabled: row.enabled ?? null, settings: row.settings, version });
	}

	/**
	 * The one write path of plugin state. In one transaction: lock the guild's row (made first when missing), let
	 * `plan` decide from the stored state (never from this process' cache, which another process may have outdated),
	 * write only what changed (the switch, per-key `jsonb` set and remove) and its audit entries. Then the cache takes
	 * the row as written and the change is announced. A plan with no changes writes nothing.
	 */
	async #write(
		guildId: string,
		plugin: string,
		actor: Actor,
		plan: (stored: StoredPluginState, em: EntityManager) => WritePlan | Promise<WritePlan>,
		revertOf: number | null = null
	): Promise<{ changes: StateChange[]; entries: AuditEntry[] }> {
		const outcome = await this.#orm.em.fork().transactional(async (em) => {
			const stored = await lockState(em, guildId, plugin);
			const planned = await plan({ enabled: stored.enabled ?? null, settings: stored.settings }, em);
			if (planned.changes.length === 0) return { row: stored, changes: [], entries: [] };
			const [row] = await em.execute<RawStateRow[]>(
				`update core_plugin_state
				 set enabled = ?, settings = (settings || ?::jsonb) - array(select jsonb_array_elements_text(?::jsonb)),
				     version = version + 1, updated_at = now()
				 where guild_id = ? and plugin = ?
				 returning enabled, settings, version`,
				[
					planned.enabled === undefined ? (stored.enabled ?? null) : planned.enabled,
					JSON.stringify(planned.set ?? {}),
					JSON.stringify(planned.unset ?? []),
					guildId,
					plugin
				]
			);
			const entries = planned.changes.map((change) =>
				em.create(CoreAuditEntry, {
					guildId,
					actorId: actor.id,
					source: actor.source,
					plugin,
					key: change.key,
					before: change.before,
					after: change.after,
					revertOf
				})
			);
			return { row: row!, changes: planned.changes, entries };
		});
		this.#remember(guildId, plugin, outcome.row);
		if (outcome.changes.length === 0) return outcome;
		this.#touch(stateKey(guildId, plugin));
		this.emit('changed', guildId, plugin, true);
		await this.#announce(guildId, plugin);
		return outcome;
	}

	/** Counts the change in the version counter and announces it; a failure is retried once Redis answers again. */
	async #announce(guildId: string, plugin: string): Promise<void> {
		try {
			const version = await this.#redis.incr(this.#versionKey);
			this.#heard.add(version);
			await this.#redis.publish(this.#channel, JSON.stringify({ guildId, plugin, from: this.#instance, version }));
			this.#unannounced.delete(stateKey(guildId, plugin));
		} catch (error) {
			// The write is committed; the others catch up when it is announced again (or by their version check).
			this.#unannounced.set(stateKey(guildId, plugin), { guildId, plugin });
			this.#logger.error({ err: error, guildId, plugin }, 'could not announce a plugin change over Redis; will announce it again');
		}
	}

	async #announcePending(): Promise<void> {
		for (const { guildId, plugin } of [...this.#unannounced.values()]) {
			if (!this.#unannounced.has(stateKey(guildId, plugin))) continue;
			this.#unannounced.delete(stateKey(guildId, plugin));
			await this.#announce(guildId, plugin);
		}
	}

	/**
	 * Restores the value an audit entry replaced; the revert is itself audited (and returned). Read, checked and
	 * written under the row lock, so a revert racing another change of the same plugin neither loses it nor
	 * records a stale `before`.
	 */
	public async revert(guildId: string, entryId: number, actor: Actor): Promise<{ plugin: string; key: string; entry: AuditEntry }> {
		const entry = await this.#orm.em.fork().findOne(CoreAuditEntry, { id: entryId, guildId });
		if (!entry)
			throw new FacetError(FacetIdentifiers.UnknownAuditEntry, `There is no audit entry #${entryId} in this server.`, { entryId });
		const manifest = this.#requireManifest(entry.plugin);
		const { key } = entry;
		const revertActor = { ...actor, source: 'revert' as const };
		if (key === ENABLED_KEY) {
			const wanted = entry.before ? Boolean(entry.before.value) : manifest.defaultEnabled;
			if (manifest.required && !wanted)
				throw new FacetError(FacetIdentifiers.PluginRequired, `The ${entry.plugin} plugin is required.`, {});
			const { entries } = await this.#write(
				guildId,
				entry.plugin,
				revertActor,
				(stored) => ({
					enabled: entry.before ? wanted : null,
					changes: [{ key, before: { value: manifest.required || (stored.enabled ?? manifest.defaultEnabled) }, after: { value: wanted } }]
				}),
				entry.id
			);
			return { plugin: entry.plugin, key, entry: entries[0]! };
		}
		const { entries } = await this.#write(
			guildId,
			entry.plugin,
			revertActor,
			(stored) => {
				const current = stored.settings;
				const next = { ...current };
				if (entry.before) next[key] = entry.before.value;
				else delete next[key];
				const result = manifest.settings.safeParse(next);
				if (!result.success) throw new SettingsValidationError(entry.plugin, fieldErrorsOf(result.error));
				this.#checkReferences(guildId, manifest, result.data, [key]);
				return {
					set: entry.before ? { [key]: entry.before.value } : {},
					unset: entry.before ? [] : [key],
					changes: [{ key, before: key in current ? { value: current[key] } : null, after: entry.before ?? null }]
				};
			},
			entry.id
		);
		return { plugin: entry.plugin, key, entry: entries[0]! };
	}

	/** The guild's audit log, newest first. */
	public async audit(guildId: string, options: { limit?: number; before?: number; plugin?: string } = {}) {
		const where: Record<string, unknown> = { guildId };
		if (options.before) where.id = { $lt: options.before };
		if (options.plugin) where.plugin = options.plugin;
		return this.#orm.em.fork().find(CoreAuditEntry, where, { orderBy: { id: 'desc' }, limit: Math.min(options.limit ?? 25, 100) });
	}

	async #onRemoteChange(message: string): Promise<void> {
		let parsed: { guildId: string; plugin: string; from: string; version?: number };
		try {
			parsed = JSON.parse(message);
		} catch {
			return;
		}
		if (parsed.from === this.#instance) return;
		// One query per change (not per event): reload just that row.
		let row: CorePluginStateRow | null;
		try {
			row = await this.#orm.em.fork().findOne(CorePluginState, { guildId: parsed.guildId, plugin: parsed.plugin });
		} catch (error) {
			// A change announced during a database outage must not become an unhandled rejection (it ends the process).
			this.#logger.error(
				{ err: error, guildId: parsed.guildId, plugin: parsed.plugin },
				'could not reload a plugin state changed elsewhere'
			);
			return;
		}
		if (row) this.#remember(row.guildId, row.plugin, row);
		else this.#cache.delete(parsed.guildId, parsed.plugin);
		this.#touch(stateKey(parsed.guildId, parsed.plugin));
		// Only now heard of: a reload that failed above leaves a gap the version check repairs.
		if (typeof parsed.version === 'number') this.#heard.add(parsed.version);
		this.emit('changed', parsed.guildId, parsed.plugin, false);
	}
}

type RawStateRow = { enabled: boolean | null; settings: Record<string, unknown>; version: string | number };

/** Reads a guild's plugin row `for update` (inserting the empty row first when there is none), inside `em`'s transaction. */
async function lockState(em: EntityManager, guildId: string, plugin: string): Promise<RawStateRow> {
	const select = 'select enabled, settings, version from core_plugin_state where guild_id = ? and plugin = ? for update';
	let [row] = await em.execute<RawStateRow[]>(select, [guildId, plugin]);
	if (!row) {
		// Two first writers race here: one inserts, the other's insert does nothing; both then lock the same row.
		await em.execute('insert into core_plugin_state (guild_id, plugin) values (?, ?) on conflict do nothing', [guildId, plugin], 'run');
		[row] = await em.execute<RawStateRow[]>(select, [guildId, plugin]);
	}
	return row!;
}
