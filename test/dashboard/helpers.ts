import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Page } from 'playwright-core';
import { parseEnv } from '../../src/core/env.ts';
import { createLogger } from '../../src/core/logger.ts';
import { appRoot } from '../../src/core/paths.ts';
import { plugins } from '../../src/plugins/index.ts';
import { ensureDashboardBuilt } from '../../src/sandbox/dashboard.ts';
import { type SandboxFacet, startSandboxFacet } from '../helpers/facet.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/postgres.ts';

/** A sandbox bot whose API serves the built dashboard on its own origin (as `npm start` runs it). */
export interface DashboardBot {
	handle: SandboxFacet;
	/** `http://127.0.0.1:<api port>`: API and dashboard. */
	base: string;
	logs: string[];
	db: ScratchDatabase;
	stop(): Promise<void>;
}

/** Builds the dashboard when missing or stale (as the first `npm start` does), then starts the bot on free ports. */
export async function startDashboardBot(env: Record<string, string> = {}): Promise<DashboardBot> {
	const logs: string[] = [];
	const destination = new Writable({
		write(chunk, _encoding, callback) {
			logs.push(chunk.toString('utf8'));
			callback();
		}
	});
	const logger = createLogger({ level: 'info', format: 'json', destination });
	await ensureDashboardBuilt(logger);
	const db = await createScratchDatabase('facet_dash');
	const [apiPort, emulatorPort] = [await freePort(), await freePort()];
	const base = `http://127.0.0.1:${apiPort}`;
	const parsed = parseEnv(
		{
			DATABASE_URL: db.url,
			REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
			API_PORT: String(apiPort),
			API_HOST: '127.0.0.1',
			API_PUBLIC_URL: base,
			EMULATOR_PORT: String(emulatorPort),
			LOG_FORMAT: 'json',
			TASKS_QUEUE: `facet-dash-test-${process.pid}-${apiPort}`,
			// Browser tests make many requests from one session in a short time.
			API_RATE_LIMIT_MAX: '100000',
			...env
		},
		plugins
	);
	let handle: SandboxFacet;
	try {
		handle = await startSandboxFacet({ env: parsed, logger });
	} catch (error) {
		await db.drop();
		throw error;
	}
	return {
		handle,
		base,
		logs,
		db,
		async stop() {
			await handle.shutdown.run('test finished');
			await db.drop();
		}
	};
}

/** Debian's Chromium (see .ci/run), or `CHROMIUM_PATH`. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where browser tests write their screenshots (CI keeps the folder as an artifact). */
export const RESULTS = join(appRoot, 'test-results');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A serious or critical axe-core finding on one page. */
export interface AxeViolation {
	page: string;
	id: string;
	impact: string;
	help: string;
	nodes: string[];
}

/** Saves a screenshot to test-results/ and runs axe-core on the page; serious and critical findings go to `into`. */
export async function snapshot(target: Page, name: string, into: AxeViolation[]): Promise<void> {
	// A drawer or modal fades in: axe run mid-transition measures the contrast of half-transparent text (it did on a
	// faster machine). Wait until no animation or transition runs, two frames apart.
	await target.evaluate(`new Promise((resolve) => {
		const running = () => document.getAnimations().filter((animation) => animation.playState === 'running');
		const settle = () => {
			const now = running();
			if (now.length > 0) return void Promise.all(now.map((animation) => animation.finished.catch(() => null))).then(settle);
			requestAnimationFrame(() => requestAnimationFrame(() => (running().length > 0 ? settle() : resolve(null))));
		};
		settle();
	})`);
	await target.screenshot({ path: join(RESULTS, `dashboard-${name}.png`), fullPage: true });
	await target.addScriptTag({ content: axeSource });
	// Written as page-side source: this file is type-checked without the DOM library.
	const found = (await target.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations)")) as {
		id: string;
		impact: string;
		help: string;
		nodes: { target: string[] }[];
	}[];
	for (const violation of found) {
		if (violation.impact === 'serious' || violation.impact === 'critical') {
			into.push({
				page: name,
				id: violation.id,
				impact: violation.impact,
				help: violation.help,
				nodes: violation.nodes.map((n) => n.target.join(' '))
			});
		}
	}
}

/** Logs in through the emulator's consent page as one of the sandbox people. */
export async function logInAs(target: Page, base: string, who: RegExp): Promise<void> {
	await target.goto(`${base}/`);
	await target.getByRole('link', { name: 'Log in with Discord' }).click();
	await target.getByRole('link', { name: who }).click();
	await target.waitForURL(`${base}/servers`);
}
