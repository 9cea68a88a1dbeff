import { resolve, sep } from 'node:path';
import type { Piece } from '@sapphire/framework';
import type { PluginManifest } from './manifest.ts';

/** Maps a piece to the plugin whose folder holds it, by path: pieces declare nothing for this. */
export class PluginOwnership {
	readonly #roots: { root: string; name: string }[];
	/** Owners by piece path: listeners ask on every event, and resolving a path each time showed in profiles. */
	readonly #byPath = new Map<string, string | null>();

	public constructor(manifests: PluginManifest[]) {
		this.#roots = manifests.map((manifest) => ({ root: resolve(manifest.directory) + sep, name: manifest.name }));
	}

	/** The plugin owning a file path, or null for core pieces. */
	public ofPath(path: string): string | null {
		const full = resolve(path);
		return this.#roots.find(({ root }) => full.startsWith(root))?.name ?? null;
	}

	/** The plugin owning a loaded piece, or null for core pieces. */
	public of(piece: Pick<Piece, 'location'>): string | null {
		const path = piece.location.full;
		const known = this.#byPath.get(path);
		if (known !== undefined) return known;
		const owner = this.ofPath(path);
		this.#byPath.set(path, owner);
		return owner;
	}
}
