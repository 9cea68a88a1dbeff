import { Writable } from 'node:stream';
import { parseEnv } from '../../src/core/env.ts';
import { createLogger } from '../../src/core/logger.ts';
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
