import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/*
 * The production build. Pieces (commands, listeners, routes, tasks, interaction handlers: any file outside src/core)
 * stay one file each, so Sapphire still finds them on disk by folder name; `bundle` + `splitting` rewrites the `.ts`
 * specifiers Node's type stripping uses, and shared modules land in chunks, one instance each.
 *
 * Dependencies Facet alone uses are bundled into those chunks, whitespace- and syntax-minified and ASCII-escaped
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
 * - every other dependency package.json declares (tsup leaves declared dependencies external).
 * A package is bundled when it is listed here, or when only a bundled package imports it (kysely from @mikro-orm/sql).
 * So that no second copy of an external package's own dependency is bundled by accident (a `container` from
 * @sapphire/pieces would be another container than Sapphire's), the build refuses a module of src/ that imports a
 * package package.json does not declare.
 */
const BUNDLED = [
	/^@mikro-orm\//,
	'kysely',
	'zod',
	'pg',
	'prom-client',
	'ajv',
	'ajv-formats',
	'fast-xml-parser',
	'@rowanmanning/feed-parser',
	'html-entities'
];

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
	// Migrations are imported by src/core/database/config.ts, so they are bundled into chunks.
	entry: [
		// Library modules are imported, never loaded by path: they are bundled into chunks rather than emitted as a
		// file each (413 → 222 files; about 3 MiB less RSS at 1,000 guilds, docs/benchmarks.md). Pieces — in any
		// folder outside src/core, a new one included — stay one file each. From src/core, only what is loaded by
		// path (pglite-host is forked) or imported from dist/ by the benchmarks.
		'src/*.ts',
		'src/!(core)/**/*.ts',
		'src/core/{boot,target,env,logger}.ts',
		'src/core/database/pglite-host.ts',
		'!src/plugins/*/{lib,entities}/**',
		'!src/plugins/*/contract.ts',
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
	esbuildPlugins: [declaredImportsOnly],
	minifyWhitespace: true,
	minifySyntax: true,
	keepNames: true,
	// Bundled CommonJS (pg, prom-client) calls require(), which an ES module does not have.
	banner: { js: "import { createRequire as __facetRequire } from 'node:module'; const require = __facetRequire(import.meta.url);" }
});
