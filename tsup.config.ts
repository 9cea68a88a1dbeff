import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/*
 * The production build. `bundle` + `splitting` rewrites the `.ts` specifiers Node's type stripping uses, and
 * modules shared by several entries land in chunks, one instance each.
 *
 * Pieces (commands, listeners, routes, tasks, interaction handlers, preconditions, middlewares) are not a file
 * each: every piece of this tree is bundled into `core/bundled-pieces.js` under the path its file would have, and
 * src/core/piece-bundle.ts makes Sapphire's loader take them from there (one module to load instead of 84, about
 * 100 ms less between the start and the gateway connection). From the sources, Sapphire loads the files.
 *
 * Dependencies Facet alone uses and loads at start are bundled into those chunks, whitespace- and syntax-minified and ASCII-escaped
 * (esbuild's default charset). A process holds the source of every module it loaded as a heap string, and a file
 * with a single character beyond Latin-1 (a "—" in a comment) is held at two bytes a character: @mikro-orm/*,
 * zod and kysely load as about 600 files and 3 MiB of source, most of it two-byte. Bundled, they are a few chunks
 * of one-byte text: 7–8 MiB less RSS with 1 guild (docs/benchmarks.md). Identifiers are kept (`keepNames`, no
 * identifier minification), so stack traces and MikroORM's class-named entities read as in the sources.
 *
 * Left to node_modules, loaded as they are:
 * - what discord.js and Sapphire's packages import themselves, which must stay one instance with theirs
 *   (discord.js, @discordjs/*, @sapphire/*, bullmq and its ioredis, plugin-api's undici and tldts, ws);
 * - what resolves files of its own at run time: pino (transports run in worker threads), pglite (its WebAssembly
 *   and data files);
 * - what is loaded only when first used, with a require at that point: the feed parser and fast-xml-parser
 *   (src/plugins/dailies/lib/parse.ts, opml.ts);
 * - every other dependency package.json declares (tsup leaves declared dependencies external).
 * A package is bundled when it is listed here, or when only a bundled package imports it (kysely from @mikro-orm/sql).
 * So that no second copy of an external package's own dependency is bundled by accident (a `container` from
 * @sapphire/pieces would be another container than Sapphire's), the build refuses a module of src/ that imports a
 * package package.json does not declare.
 */
const BUNDLED = [/^@mikro-orm\//, 'kysely', 'zod', 'pg', 'prom-client', 'ajv', 'ajv-formats', 'html-entities'];

const SRC = join(import.meta.dirname, 'src');
/** Folders of src/ (and of a plugin's folder) that hold no pieces; every other one is a store's folder. */
const NOT_PIECES = new Set(['core', 'sandbox', 'plugins', 'lib', 'entities']);

/**
 * Every piece file of this tree: the files in the folders of src/ and of each plugin's folder, except the core, the
 * sandbox and a plugin's lib/ and entities/ (manifests, contract.ts and the entry points sit beside those folders,
 * not in them), less what Sapphire's own filter skips (`_` prefix, `.d.ts`). No list of store names: a folder
 * Sapphire does not walk costs its code at load, while a store left out of a list would lose its pieces.
 */
function pieceFiles(): string[] {
	const found: string[] = [];
	const walk = (folder: string) => {
		for (const entry of readdirSync(folder, { withFileTypes: true })) {
			const path = join(folder, entry.name);
			if (entry.isDirectory()) walk(path);
			else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.startsWith('_')) found.push(path);
		}
	};
	const folders = (root: string) => readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory());
	const plugins = folders(join(SRC, 'plugins')).map((plugin) => join(SRC, 'plugins', plugin.name));
	for (const root of [SRC, ...plugins]) for (const folder of folders(root)) if (!NOT_PIECES.has(folder.name)) walk(join(root, folder.name));
	return found.sort();
}

/** Fills src/core/bundled-pieces.ts (an empty list in the sources) with every piece, keyed by its path under dist/. */
const bundledPieces: NonNullable<Options['esbuildPlugins']>[number] = {
	name: 'bundled-pieces',
	setup(build) {
		build.onLoad({ filter: /[/\\]src[/\\]core[/\\]bundled-pieces\.ts$/ }, () => {
			const files = pieceFiles();
			const imports = files.map((file, i) => `import * as piece${i} from ${JSON.stringify(file)};`);
			const list = files.map(
				(file, i) => `[${JSON.stringify(relative(SRC, file).split(sep).join('/').replace(/\.ts$/, '.js'))}, piece${i}]`
			);
			return {
				contents: `${imports.join('\n')}\nexport const bundledPieces = [\n${list.join(',\n')}\n];\n`,
				loader: 'ts',
				resolveDir: SRC
			};
		});
	}
};

const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
	dependencies: Record<string, string>;
};
const packageOf = (specifier: string) => specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/');

const declaredImportsOnly: NonNullable<Options['esbuildPlugins']>[number] = {
	name: 'declared-imports-only',
	setup(build) {
		build.onResolve({ filter: /^[^./]/ }, (args) => {
			if (args.path.startsWith('node:') || !/[/\\]src[/\\]/.test(args.importer) || args.importer.includes('node_modules')) return;
			const name = packageOf(args.path);
			if (name in manifest.dependencies) return;
			return { errors: [{ text: `${args.importer} imports ${name}, which package.json does not declare as a dependency` }] };
		});
	}
};

export default defineConfig({
	entry: [
		// The entry points, the plugins' manifests (the benchmarks import dist/plugins/index.js), the pieces' bundle,
		// and from src/core only what is loaded by path (pglite-host is forked) or imported from dist/ by the
		// benchmarks. Library modules are bundled into chunks; migrations are imported by src/core/database/config.ts.
		'src/*.ts',
		'src/plugins/index.ts',
		'src/core/{boot,target,env,logger,bundled-pieces}.ts',
		'src/core/database/pglite-host.ts',
		// The sandbox (the emulator and its control API), one file each as before.
		'src/sandbox/**/*.ts',
		'!src/**/*.d.ts'
	],
	outDir: 'dist',
	format: ['esm'],
	platform: 'node',
	target: 'node24',
	bundle: true,
	splitting: true,
	sourcemap: true,
	clean: true,
	dts: false,
	noExternal: BUNDLED,
	esbuildPlugins: [declaredImportsOnly, bundledPieces],
	minifyWhitespace: true,
	minifySyntax: true,
	keepNames: true,
	// Bundled CommonJS (pg, prom-client) calls require(), which an ES module does not have.
	banner: { js: "import { createRequire as __facetRequire } from 'node:module'; const require = __facetRequire(import.meta.url);" }
});
