import { existsSync, type FSWatcher, statSync, watch } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { container, type Piece, SapphireClient, type Store } from '@sapphire/framework';
import type { ScheduledTask } from '@sapphire/plugin-scheduled-tasks';
import type { Logger } from 'pino';
import { appRoot, runningFromSource } from '../paths.ts';
import { type ModuleGraph, moduleGraph } from './module-graph.ts';

/** Extensions of files that can be modules. */
const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/** Editors write a file in several steps; changes closer together than this are one change. */
const SETTLE_MS = 60;

type AnyStore = Store<Piece>;

interface StoreRoot {
	store: AnyStore;
	/** Absolute folder registered with the store (`…/commands`). */
	root: string;
}

/** What one processed batch of file changes did, for logs and tests. */
export interface ReloadReport {
	loaded: string[];
	reloaded: string[];
	unloaded: string[];
	failed: string[];
	/** Scopes of application commands re-sent after the batch. */
	commandScopesSent: number;
}

/**
 * Development hot reload of Sapphire pieces: watches the folders holding the stores' piece folders (the core's
 * `src/` and every plugin folder) and, for a changed file, loads it again into its store, loads a new file,
 * or unloads the pieces of a deleted one. Commands are then re-synced through the core's CommandSync (plugin
 * commands stay per guild). The process and its gateway session are untouched.
 *
 * A file that is not a piece (a plugin's `lib/`, a core helper) reloads every piece that imports it, through
 * the {@link ModuleGraph} installed by scripts/dev.ts. A file that fails to load (syntax error, throwing
 * constructor) is logged and the previous piece keeps running.
 */
export class HotReloader {
	readonly #client: SapphireClient;
	readonly #logger: Logger;
	readonly #graph: ModuleGraph | null;
	readonly #watchers: FSWatcher[] = [];
	readonly #pending = new Set<string>();
	#timer: NodeJS.Timeout | null = null;
	#queue: Promise<unknown> = Promise.resolve();
	#closed = false;
	/** Batches processed, for tests. */
	public batches = 0;

	public constructor(client: SapphireClient, logger: Logger, graph: ModuleGraph | null = moduleGraph()) {
		this.#client = client;
		this.#logger = logger;
		this.#graph = graph;
		if (graph) {
			// Their first evaluation is what the ORM and the plugin service know: a new copy would be a stranger.
			const manifests = new Set(container.plugins?.list().map((plugin) => resolve(plugin.directory)) ?? []);
			graph.pin(
				(path) =>
					path.split(sep).includes('entities') ||
					(/^index\.[cm]?[jt]s$/.test(path.slice(dirname(path).length + 1)) && manifests.has(dirname(path)))
			);
		}
	}

	/** Every folder registered with a store, outside dependencies. */
	public roots(): StoreRoot[] {
		const roots: StoreRoot[] = [];
		for (const store of this.#client.stores.values() as Iterable<AnyStore>) {
			for (const root of store.paths) if (!root.includes(`${sep}node_modules${sep}`)) roots.push({ store, root: resolve(root) });
		}
		return roots;
	}

	/** The folders watched: the parents of the store folders, without nesting (`src/`, each plugin outside it). */
	public watchedFolders(): string[] {
		const parents = [...new Set(this.roots().map(({ root }) => dirname(root)))].sort((a, b) => a.length - b.length);
		const folders: string[] = [];
		for (const folder of parents) {
			if (!existsSync(folder)) continue;
			if (!folders.some((outer) => folder.startsWith(`${outer}${sep}`))) folders.push(folder);
		}
		return folders;
	}

	/** Starts watching; returns the folders watched. */
	public start(): string[] {
		const folders = this.watchedFolders();
		for (const folder of folders) {
			const watcher = watch(folder, { recursive: true }, (_event, filename) => {
				if (filename) this.#changed(join(folder, filename.toString()));
			});
			watcher.on('error', (error) => this.#logger.error({ err: error, folder }, 'hot reload: watcher failed'));
			this.#watchers.push(watcher);
		}
		this.#logger.info(
			{ folders: folders.map((folder) => relative(appRoot, folder) || '.'), moduleGraph: this.#graph !== null },
			'hot reload enabled'
		);
		return folders;
	}

	/** Stops watching and waits for a reload in progress. */
	public async close(): Promise<void> {
		this.#closed = true;
		if (this.#timer) clearTimeout(this.#timer);
		for (const watcher of this.#watchers) watcher.close();
		this.#watchers.length = 0;
		await this.#queue;
	}

	#changed(path: string): void {
		if (this.#closed) return;
		const extension = extname(path);
		// A folder (no extension) may have been deleted with its pieces; anything else that is not code is noise.
		if (extension !== '' && !MODULE_EXTENSIONS.has(extension)) return;
		if (path.includes(`${sep}node_modules${sep}`) || path.endsWith('.d.ts')) return;
		this.#pending.add(path);
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => {
			this.#timer = null;
			const batch = [...this.#pending];
			this.#pending.clear();
			this.#queue = this.#queue.then(() => this.process(batch)).catch((error) => this.#logger.error({ err: error }, 'hot reload failed'));
		}, SETTLE_MS);
	}

	/** The store folder holding a file, the deepest one if several do. */
	#rootOf(path: string): StoreRoot | null {
		let best: StoreRoot | null = null;
		for (const candidate of this.roots()) {
			if (path.startsWith(`${candidate.root}${sep}`) && (!best || candidate.root.length > best.root.length)) best = candidate;
		}
		return best;
	}

	#piecesAt(store: AnyStore, path: string, folder = false): Piece[] {
		return [...store.values()].filter((piece) => (folder ? piece.location.full.startsWith(`${path}${sep}`) : piece.location.full === path));
	}

	/** Processes changed paths: loads, reloads or unloads the pieces they concern, then re-syncs commands. */
	public async process(paths: string[]): Promise<ReloadReport> {
		this.batches++;
		const report: ReloadReport = { loaded: [], reloaded: [], unloaded: [], failed: [], commandScopesSent: 0 };
		const pieceFiles = new Map<string, StoreRoot>();
		const deletedFolders: string[] = [];
		for (const path of paths) {
			const isFile = existsSync(path) && statSync(path).isFile();
			if (!isFile && existsSync(path)) continue; // a folder that still exists: its files report themselves
			if (!isFile && extname(path) === '') {
				deletedFolders.push(path);
				continue;
			}
			const affected = [path];
			if (this.#graph?.knows(path)) {
				if (this.#graph.isPinned(path)) {
					this.#logger.warn(
						{ file: relative(appRoot, path) },
						'hot reload: this module holds state the process keeps (entity, plugin manifest); restart to apply the change'
					);
					continue;
				}
				affected.push(...this.#graph.invalidate(path).slice(1));
			}
			let pieces = 0;
			for (const file of affected) {
				const owner = this.#rootOf(file);
				if (owner?.store.strategy.filter(file)) {
					pieceFiles.set(file, owner);
					pieces++;
				}
			}
			if (pieces === 0 && isFile && this.#graph?.knows(path)) {
				this.#logger.info({ file: relative(appRoot, path) }, 'hot reload: no piece imports this module; restart to apply the change');
			}
		}

		const touched = new Set<string>();
		for (const folder of deletedFolders) {
			for (const { store } of this.roots()) {
				for (const piece of this.#piecesAt(store, folder, true)) {
					if (await this.#unload(piece, report)) touched.add(store.name);
				}
			}
		}
		for (const [file, { store, root }] of pieceFiles) {
			if (existsSync(file)) {
				if (await this.#load(store, root, file, report)) touched.add(store.name);
			} else {
				for (const piece of this.#piecesAt(store, file)) if (await this.#unload(piece, report)) touched.add(store.name);
			}
		}

		if (touched.has('commands')) {
			const started = performance.now();
			try {
				report.commandScopesSent = (await container.commandSync?.refresh()) ?? 0;
				this.#logger.info(
					{ scopesSent: report.commandScopesSent, ms: Math.round(performance.now() - started) },
					'hot reload: application commands re-synced'
				);
			} catch (error) {
				this.#logger.error({ err: error }, 'hot reload: application command sync failed');
			}
		}
		return report;
	}

	async #load(store: AnyStore, root: string, file: string, report: ReloadReport): Promise<boolean> {
		const started = performance.now();
		const before = this.#piecesAt(store, file);
		let pieces: Piece[];
		try {
			pieces = await store.load(root, relative(root, file));
		} catch (error) {
			report.failed.push(file);
			this.#logger.error(
				{ err: error, file: relative(appRoot, file), store: store.name, kept: before.map((piece) => piece.name) },
				'hot reload: loading the file failed; the previous version keeps running'
			);
			return false;
		}
		// The file may now declare other piece names: the ones it no longer produces are gone.
		const names = new Set(pieces.map((piece) => piece.name));
		for (const old of before) if (!names.has(old.name) && store.get(old.name) === old) await this.#unload(old, report);
		const ms = Math.round((performance.now() - started) * 10) / 10;
		for (const piece of pieces) {
			const action = before.some((old) => old.name === piece.name) ? 'reloaded' : 'loaded';
			(action === 'reloaded' ? report.reloaded : report.loaded).push(piece.name);
			this.#logger.info({ piece: piece.name, store: store.name, ms, file: relative(appRoot, file) }, `hot reload: piece ${action}`);
			if (action === 'loaded' && store.name === 'scheduled-tasks') await this.#scheduleRepeated(piece as unknown as ScheduledTask);
		}
		return true;
	}

	async #unload(piece: Piece, report: ReloadReport): Promise<boolean> {
		const started = performance.now();
		try {
			await (piece.store as unknown as AnyStore).unload(piece.name);
		} catch (error) {
			this.#logger.error({ err: error, piece: piece.name, store: piece.store.name }, 'hot reload: unloading the piece failed');
			return false;
		}
		report.unloaded.push(piece.name);
		const ms = Math.round((performance.now() - started) * 10) / 10;
		this.#logger.info(
			{ piece: piece.name, store: piece.store.name, ms, file: relative(appRoot, piece.location.full) },
			'hot reload: piece unloaded'
		);
		return true;
	}

	/** A new repeated task gets its schedule the way the start-up does (`createRepeated`), bounded: Redis may be down. */
	async #scheduleRepeated(task: ScheduledTask): Promise<void> {
		if ((task.interval === null && task.pattern === null) || !container.tasks) return;
		const options = task.interval
			? { repeated: true as const, interval: task.interval, customJobOptions: task.customJobOptions }
			: { repeated: true as const, pattern: task.pattern!, timezone: task.timezone, customJobOptions: task.customJobOptions };
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => reject(new Error('scheduling the task timed out after 5 s')), 5_000);
		});
		try {
			await Promise.race([container.tasks.createRepeated([{ name: task.name as never, options }]), timeout]);
		} catch (error) {
			this.#logger.error({ err: error, piece: task.name }, 'hot reload: the new task could not be scheduled');
		} finally {
			clearTimeout(timer);
		}
	}
}

let hookRegistered = false;

/**
 * Turns hot reload on for this process: once the client has logged in (its stores are loaded), a
 * {@link HotReloader} starts watching, and the shutdown sequence closes it. Only `npm run dev` calls this; it
 * refuses production (`NODE_ENV=production`) and built code (there is no TypeScript source to watch).
 */
export function enableHotReload(): void {
	if (hookRegistered) return;
	hookRegistered = true;
	SapphireClient.plugins.registerPostLoginHook(async function startHotReload(this: SapphireClient) {
		const logger = container.log.child({ source: 'hmr' });
		if (container.env.NODE_ENV === 'production' || !runningFromSource) {
			logger.warn(
				{ nodeEnv: container.env.NODE_ENV, fromSource: runningFromSource },
				'hot reload is for development from source only; not enabled'
			);
			return;
		}
		const reloader = new HotReloader(this, logger);
		reloader.start();
		container.shutdown.add('hot reload', () => reloader.close());
	}, 'Facet-HotReload');
}
