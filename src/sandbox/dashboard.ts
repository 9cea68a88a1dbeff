import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { appRoot } from '../core/paths.ts';

/*
 * The sandbox serves the dashboard from the API port (see src/core/api/static.ts). A fresh clone has no build
 * yet: `npm start` builds it once here (Vite runs offline), and again when its sources are newer than the build.
 */

/** The dashboard's source folder and its build. */
export const DASHBOARD_SOURCE = join(appRoot, 'dashboard');
export const DASHBOARD_DIST = join(DASHBOARD_SOURCE, 'dist');

async function newestMtime(path: string): Promise<number> {
	const info = await stat(path).catch(() => null);
	if (!info) return 0;
	if (!info.isDirectory()) return info.mtimeMs;
	let newest = info.mtimeMs;
	for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
	return newest;
}

/** True when there is no build, or a source file (or the API contract it imports) changed after it. */
export async function dashboardIsStale(): Promise<boolean> {
	const built = await stat(join(DASHBOARD_DIST, 'index.html')).catch(() => null);
	if (!built) return true;
	const inputs = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((name) => join(DASHBOARD_SOURCE, name));
	const newest = Math.max(...(await Promise.all(inputs.map(newestMtime))));
	return newest > built.mtimeMs;
}

/**
 * Builds the dashboard when it is missing or stale, in a child process (Vite's memory is not the bot's). Without
 * Vite installed (a production install) it logs why and leaves the API running without a dashboard.
 */
export async function ensureDashboardBuilt(logger: Logger): Promise<void> {
	if (!existsSync(DASHBOARD_SOURCE) || !(await dashboardIsStale())) return;
	let viteBin: string;
	try {
		const require = createRequire(join(DASHBOARD_SOURCE, 'package.json'));
		viteBin = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
	} catch {
		logger.warn('the dashboard is not built and Vite is not installed: run `npm ci` then `npm run build:dashboard`');
		return;
	}
	const started = Date.now();
	logger.info('building the dashboard (first start or changed sources)…');
	const output: string[] = [];
	const staging = `${DASHBOARD_DIST}.build-${process.pid}-${Date.now()}`;
	const code = await new Promise<number | null>((resolve) => {
		// Built beside and moved into place, so two processes starting at once never serve a half-written folder.
		const child = spawn(process.execPath, [viteBin, 'build', '--logLevel', 'warn', '--outDir', staging, '--emptyOutDir'], {
			cwd: DASHBOARD_SOURCE,
			// Vite follows an inherited NODE_ENV (`test` under vitest, `development` in dev): always a production build.
			env: { ...process.env, NODE_ENV: 'production' },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
		child.on('error', () => resolve(null));
		child.on('close', resolve);
	});
	if (code === 0) {
		await rm(DASHBOARD_DIST, { recursive: true, force: true });
		await rename(staging, DASHBOARD_DIST);
		logger.info({ ms: Date.now() - started }, 'dashboard built');
	} else {
		await rm(staging, { recursive: true, force: true });
		logger.error({ code, output: output.join('').slice(-2_000) }, 'the dashboard build failed; the API runs without it');
	}
}
