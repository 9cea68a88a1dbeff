// `npm run check:dashboard-size`: the dashboard's initial JavaScript (the entry script and every module the page
// preloads, i.e. what a first visit downloads before it can render), gzipped. Fails past the budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Budget of the initial JavaScript, gzipped (issue 10). */
export const INITIAL_JS_BUDGET_BYTES = 300 * 1024;

/** Files of the initial JavaScript named by a built `index.html`. */
export function initialScripts(html: string): string[] {
	const found = new Set<string>();
	for (const match of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) found.add(match[1]!);
	for (const match of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) found.add(match[1]!);
	return [...found];
}

/** Gzipped bytes of each initial script of the build in `dist`. */
export function initialJsSize(dist: string): { files: { file: string; raw: number; gzip: number }[]; gzip: number } {
	const html = readFileSync(join(dist, 'index.html'), 'utf8');
	const files = initialScripts(html).map((src) => {
		const bytes = readFileSync(join(dist, src.replace(/^\//, '')));
		return { file: src, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
	});
	return { files, gzip: files.reduce((sum, file) => sum + file.gzip, 0) };
}

if (import.meta.main) {
	const dist = process.argv[2] ?? join(import.meta.dirname, '..', 'dashboard', 'dist');
	const { files, gzip } = initialJsSize(dist);
	if (files.length === 0) {
		process.stderr.write(`no initial scripts found in ${dist}/index.html: build the dashboard first (npm run build:dashboard)\n`);
		process.exit(1);
	}
	for (const file of files)
		process.stdout.write(`  ${file.file}: ${(file.raw / 1024).toFixed(1)} KB, ${(file.gzip / 1024).toFixed(1)} KB gzipped\n`);
	const kb = (gzip / 1024).toFixed(1);
	const budget = INITIAL_JS_BUDGET_BYTES / 1024;
	if (gzip > INITIAL_JS_BUDGET_BYTES) {
		process.stderr.write(`dashboard initial JS: ${kb} KB gzipped — over the ${budget} KB budget\n`);
		process.exit(1);
	}
	process.stdout.write(`dashboard initial JS: ${kb} KB gzipped (budget ${budget} KB)\n`);
}
