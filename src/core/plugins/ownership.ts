import { resolve, sep } from 'node:path';
import type { Piece } from '@sapphire/framework';
import type { PluginManifest } from './manifest.ts';

/** Maps a piece to the plugin whose folder holds it, by path: pieces declare nothing for this. */
export class PluginOwnership {
	readonly #roots: { root: string; name: string }[];

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
		return this.ofPath(piece.location.full);
	}
}
