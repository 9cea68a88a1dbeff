import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

/**
 * A dependency loaded by the first call of the returned function instead of at start, for code most processes never
 * run (a bot that follows no feed never parses one). A require, so callers stay synchronous; from the build it is
 * resolved in node_modules, not bundled (esbuild leaves a require it cannot see alone).
 */
export function onFirstUse<T>(specifier: string): () => T {
	let loaded: T | undefined;
	return () => {
		loaded ??= requireFromHere(specifier) as T;
		return loaded;
	};
}
