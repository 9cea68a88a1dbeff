import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when running the TypeScript sources directly (Node type stripping), false in the built `dist/`. */
export const runningFromSource = import.meta.url.endsWith('.ts');

function findAppRoot(start: string): string {
	let dir = start;
	while (!existsSync(join(dir, 'package.json'))) {
		const parent = dirname(dir);
		if (parent === dir) throw new Error(`package.json not found above ${start}`);
		dir = parent;
	}
	return dir;
}

/** The project folder (holds package.json). Computed from this file, not the cwd. */
export const appRoot = findAppRoot(dirname(fileURLToPath(import.meta.url)));

/**
 * The folder holding the running code: `src/` from source, `dist/` (or any build folder) when built.
 * Bundled chunks move modules around, so never resolve siblings from `import.meta.url`.
 */
export const codeRoot = join(appRoot, relative(appRoot, fileURLToPath(import.meta.url)).split(sep)[0] ?? 'src');

/** Extension of the running code's files. */
export const codeExtension = runningFromSource ? '.ts' : '.js';

/** Resolves a module of this code base by its path under `src/`, without extension. */
export function codePath(relative: string): string {
	return join(codeRoot, `${relative}${codeExtension}`);
}
