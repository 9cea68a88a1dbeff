import { defineConfig } from 'tsup';

// One output file per source file, so Sapphire still finds pieces on disk by folder name.
// `bundle` + `splitting` lets esbuild rewrite the `.ts` import specifiers we use for
// Node's type stripping, while shared modules land in chunks (one instance each).
export default defineConfig({
	// Migrations are imported by src/core/database/config.ts, so they are bundled into chunks.
	entry: ['src/**/*.ts', '!src/**/*.d.ts'],
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
