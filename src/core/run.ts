import { plugins as listedPlugins } from '../plugins/index.ts';
import { type Env, EnvError, parseEnv } from './env.ts';
import { createLogger } from './logger.ts';
import { RedisUnavailableError } from './redis.ts';
import { Shutdown } from './shutdown.ts';

/** Process entry: parse env, start, print where to click, and shut down cleanly on a signal. */
export async function run(): Promise<void> {
	let env: Env;
	try {
		env = parseEnv(process.env, listedPlugins);
	} catch (error) {
		if (error instanceof EnvError) {
			process.stderr.write(`${error.message}\n`);
			process.exit(2);
		}
		throw error;
	}
	const logger = createLogger({ level: env.LOG_LEVEL, format: env.LOG_FORMAT });
	// Signals are handled from the first moment: one that arrives while starting runs the shutdown steps of every
	// part started so far (in reverse order) and exits, instead of killing the process mid-write.
	const shutdown = new Shutdown(logger, env.SHUTDOWN_TIMEOUT_MS);
	let exiting = false;
	const stop = async (signal: string) => {
		if (exiting) return;
		exiting = true;
		const clean = await shutdown.run(signal);
		logger.flush();
		process.exit(clean ? 0 : 1);
	};
	process.on('SIGTERM', () => void stop('SIGTERM'));
	process.on('SIGINT', () => void stop('SIGINT'));

	const { startFacet } = await import('./boot.ts');
	let handle: Awaited<ReturnType<typeof startFacet>>;
	try {
		handle = await startFacet({ env, logger, shutdown });
	} catch (error) {
		// A start cut short by a signal fails on a closed part: that is the shutdown, not an error to report.
		if (exiting) return;
		if (error instanceof RedisUnavailableError) logger.fatal(error.message);
		else logger.fatal({ err: error }, 'Facet failed to start');
		logger.flush();
		setTimeout(() => process.exit(1), 100);
		return;
	}
	if (exiting) return;

	const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
	logger.info({ readyMs: handle.readyMs, rssMiB: rss, mode: env.mode }, 'Facet is ready');
	if (handle.emulator) printSandboxHelp(env, handle.emulator, handle.embedded?.url);
}

function printSandboxHelp(
	env: Env,
	emulator: NonNullable<Awaited<ReturnType<typeof import('./boot.ts').startFacet>>['emulator']>,
	databaseUrl: string | undefined
): void {
	const { seed } = emulator;
	const body = JSON.stringify({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.linus, command: 'ping' });
	const lines = [
		'',
		'Facet sandbox is running (no Discord token: an offline Discord emulator stands in).',
		`  Emulator (REST, gateway, control API): ${emulator.baseUrl}`,
		`  Bot API:                               http://localhost:${env.API_PORT}  (health: /livez, /readyz)`,
		`  Emulator state (guilds, users, ids):   ${emulator.baseUrl}/_emulator/state`,
		...(databaseUrl ? [`  Embedded database (psql, DATABASE_URL=… npm run migrate): ${databaseUrl}`] : []),
		'',
		'Run /ping as the member "linus" in #general:',
		`  curl -s -X POST ${emulator.baseUrl}/_emulator/interactions -H 'content-type: application/json' -d '${body}'`,
		''
	];
	process.stdout.write(`${lines.join('\n')}\n`);
}
