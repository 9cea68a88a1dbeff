import { registerHooks } from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Development only (`npm run dev`): records which project module imports which, and gives every module
 * changed since start a version that is appended to its URL (`?hmr=N`) the next time something imports it.
 *
 * Node caches an ES module by URL for the life of the process. Sapphire re-imports a piece file with a fresh
 * `?d=<time>` query, but the piece's own imports (its `lib/`, core helpers) resolve to their old URLs and stay
 * the old code. With the versions, re-importing a piece also re-evaluates every changed module on its import
 * path; {@link ModuleGraph.invalidate} returns every module that (transitively) imports a changed one, so the
 * hot reloader knows which pieces to reload for a change in a module that is not a piece.
 *
 * Must be installed before the modules it should know about are imported (scripts/dev.ts does it first).
 */
export class ModuleGraph {
	readonly #root: string;
	/** child path → paths of the modules that import it. */
	readonly #importers = new Map<string, Set<string>>();
	/** path → version appended to its URL; absent until the file changes. */
	readonly #versions = new Map<string, number>();
	readonly #pinned: ((path: string) => boolean)[] = [];
	#counter = 0;

	public constructor(root: string) {
		this.#root = root.endsWith(sep) ? root : `${root}${sep}`;
	}

	/** True for files of the project (not its dependencies). */
	public owns(path: string): boolean {
		return path.startsWith(this.#root) && !path.includes(`${sep}node_modules${sep}`);
	}

	/** Whether the module was imported since the graph was installed. */
	public knows(path: string): boolean {
		return this.#importers.has(path);
	}

	/**
	 * Modules matching `test` keep their first evaluation forever: they hold identity the rest of the process
	 * depends on (ORM entities registered at start, plugin manifests). A change to them needs a restart.
	 */
	public pin(test: (path: string) => boolean): void {
		this.#pinned.push(test);
	}

	/** True when the module is pinned (see {@link ModuleGraph.pin}). */
	public isPinned(path: string): boolean {
		return this.#pinned.some((test) => test(path));
	}

	/** The project modules that import `path` directly. */
	public importersOf(path: string): string[] {
		return [...(this.#importers.get(path) ?? [])];
	}

	/**
	 * Marks a changed file and every project module that imports it, directly or not, as new: their next import
	 * evaluates them again. Returns them all (the file first); pinned modules are left out and stop the walk.
	 */
	public invalidate(path: string): string[] {
		if (this.isPinned(path)) return [];
		const version = ++this.#counter;
		const seen = new Set<string>([path]);
		const queue = [path];
		while (queue.length) {
			const current = queue.shift()!;
			this.#versions.set(current, version);
			for (const importer of this.#importers.get(current) ?? []) {
				if (seen.has(importer) || this.isPinned(importer)) continue;
				seen.add(importer);
				queue.push(importer);
			}
		}
		return [...seen];
	}

	/** The resolve step: records the edge and versions the URL of a changed module. */
	public resolved(url: string, parentURL: string | undefined): string {
		if (!url.startsWith('file:')) return url;
		const path = fileURLToPath(url);
		if (!this.owns(path)) return url;
		if (!this.#importers.has(path)) this.#importers.set(path, new Set());
		if (parentURL?.startsWith('file:')) {
			const parent = fileURLToPath(parentURL);
			if (this.owns(parent) && parent !== path) this.#importers.get(path)!.add(parent);
		}
		const version = this.#versions.get(path);
		if (version === undefined) return url;
		const versioned = new URL(url);
		versioned.searchParams.set('hmr', String(version));
		return versioned.href;
	}
}

let installed: ModuleGraph | null = null;

/** The graph installed by {@link installModuleGraph}, or null (production, `npm start`). */
export function moduleGraph(): ModuleGraph | null {
	return installed;
}

/** Installs the resolve hook once, for modules under `root` (the project folder). */
export function installModuleGraph(root: string): ModuleGraph {
	if (installed) return installed;
	const graph = new ModuleGraph(root);
	registerHooks({
		resolve(specifier, context, nextResolve) {
			const result = nextResolve(specifier, context);
			const url = graph.resolved(result.url, context.parentURL);
			return url === result.url ? result : { ...result, url };
		}
	});
	installed = graph;
	return graph;
}
