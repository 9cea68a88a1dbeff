import { container, type Piece, type Store } from '@sapphire/framework';
import { Guild } from 'discord.js';
import type { PluginOwnership } from './ownership.ts';

/** The plugin owning a piece, or null for the core. */
export function pluginOf(piece: Pick<Piece, 'location'>): string | null {
	return container.pluginOwnership.of(piece);
}

/**
 * True when the piece may act for the guild — core pieces always, plugin pieces only where their plugin is on.
 * Reads memory only. The core applies it to every plugin listener and task by itself (see
 * {@link installPluginGate}); a piece calls it only for events that carry no guild (e.g. `ready`).
 */
export function pieceActiveIn(piece: Pick<Piece, 'location'>, guildId: string | null | undefined): boolean {
	const plugin = pluginOf(piece);
	if (plugin === null) return true;
	if (!guildId) return false;
	return container.plugins.isEnabled(guildId, plugin);
}

/** Body of the 409 a plugin route answers in a guild where its plugin is off. */
export function pluginDisabledBody(plugin: string) {
	return { error: 'plugin_disabled', plugin, message: `The ${plugin} plugin is disabled in this server.` };
}

/**
 * The guild a Discord event is about, from its arguments: a string id, `null` for an event outside any guild
 * (a DM), or `undefined` when the event has no guild at all (`ready`, `shardResume`, …). Covers discord.js's
 * event shapes: objects with `guildId` (messages, interactions, channels, threads, voice states), with `guild`
 * (members, bans, typing), reactions (through their message) and guilds themselves.
 */
export function guildOfEvent(args: readonly unknown[]): string | null | undefined {
	for (const arg of args) {
		if (typeof arg !== 'object' || arg === null) continue;
		// Messages, interactions and voice states first: the events that come by the thousand.
		if ('guildId' in arg) {
			const id = (arg as { guildId: unknown }).guildId;
			return typeof id === 'string' ? id : null;
		}
		if (arg instanceof Guild) return arg.id;
		if ('guild' in arg) {
			const guild = (arg as { guild: unknown }).guild;
			return guild && typeof guild === 'object' && 'id' in guild ? String((guild as { id: unknown }).id) : null;
		}
		if ('message' in arg && typeof (arg as { message: unknown }).message === 'object') {
			const message = (arg as { message: { guildId?: unknown } | null }).message;
			if (message && 'guildId' in message) return typeof message.guildId === 'string' ? message.guildId : null;
		}
	}
	return undefined;
}

/** How the gate sees a plugin's switch; the plugin service in production. */
export interface GateSwitches {
	isEnabled(guildId: string, plugin: string): boolean;
}

/** What {@link installPluginGate} needs. */
export interface PluginGateOptions {
	stores: { get(name: string): Store<Piece> | undefined };
	ownership: PluginOwnership;
	switches: GateSwitches;
	/** Ids of the guilds this process serves (the client's guild cache). */
	guildIds: () => Iterable<string>;
	/** Counts what the gate held back, by plugin and kind. */
	onSkip?: (plugin: string, kind: 'listener' | 'task') => void;
}

type Runnable = Piece & { run: (...args: unknown[]) => unknown };

/**
 * Where the gate leaves, on a listener piece it gates, the check and the piece's own `run`: the listener runner
 * (listener-runner.ts) applies them itself per event, instead of calling the gated `run` (one call and one
 * arguments array less per event). Anything that calls `run` directly still goes through the gate.
 */
export const ListenerGateKey = Symbol('facet.listenerGate');

/** What {@link ListenerGateKey} holds. */
export interface ListenerGate {
	/** Whether the event may reach the listener (counts the skip when not). */
	allows(args: readonly unknown[]): boolean;
	/** The piece's `run` before the gate wrapped it. */
	run: (...args: unknown[]) => unknown;
}

/**
 * The core's gate for plugin listeners and scheduled tasks, so no piece has to check its plugin's switch:
 * - a listener's `run` is not called for an event in a guild where its plugin is off, nor for a DM event;
 *   events with no guild (`ready`) pass, and such a listener uses {@link pieceActiveIn} per guild it touches;
 * - a task whose payload names a `guildId` runs only where the plugin is on; any other task run receives
 *   `guildIds`, the served guilds where the plugin is on, and is not run at all when there are none.
 * Every piece loaded into those stores later (hot reload) is gated the same way. Reads memory only.
 */
export function installPluginGate({ stores, ownership, switches, guildIds, onSkip }: PluginGateOptions): void {
	const gate = (kind: 'listener' | 'task', piece: Runnable) => {
		const plugin = ownership.of(piece);
		if (plugin === null) return;
		const run = piece.run;
		if (kind === 'listener') {
			const allows = (args: readonly unknown[]) => {
				const guildId = guildOfEvent(args);
				if (guildId === undefined || (guildId !== null && switches.isEnabled(guildId, plugin))) return true;
				onSkip?.(plugin, kind);
				return false;
			};
			piece.run = function gatedListener(this: Runnable, ...args: unknown[]) {
				return allows(args) ? run.apply(this, args) : undefined;
			};
			(piece as Runnable & { [ListenerGateKey]?: ListenerGate })[ListenerGateKey] = { allows, run };
			return;
		}
		piece.run = function gatedTask(this: Runnable, payload?: unknown) {
			const given = payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
			if (typeof given.guildId === 'string') {
				if (switches.isEnabled(given.guildId, plugin)) return run.call(this, payload);
				onSkip?.(plugin, kind);
				return undefined;
			}
			const enabled = [...guildIds()].filter((guildId) => switches.isEnabled(guildId, plugin));
			if (enabled.length === 0) {
				onSkip?.(plugin, kind);
				return undefined;
			}
			return run.call(this, { ...given, guildIds: enabled });
		};
	};
	for (const [storeName, kind] of [
		['listeners', 'listener'],
		['scheduled-tasks', 'task']
	] as const) {
		const store = stores.get(storeName);
		if (!store) throw new Error(`the ${storeName} store does not exist yet: install the plugin gate after the client is made`);
		const insert = store.insert.bind(store);
		store.insert = (piece: Piece) => {
			gate(kind, piece as Runnable);
			return insert(piece);
		};
	}
}
