import { defineConfig } from 'tsup';

// One output file per piece (and per entry point), so Sapphire still finds pieces on disk by folder name.
// `bundle` + `splitting` lets esbuild rewrite the `.ts` import specifiers we use for
// Node's type stripping, while shared modules land in chunks (one instance each).
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
	skipNodeModulesBundle: true
});
