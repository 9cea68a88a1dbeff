import { type Env, EnvError, parseEnv } from './env.ts';
import { createLogger } from './logger.ts';
import { assemblePlugins, PluginLoadError } from './plugins/loader.ts';
import type { PluginManifest } from './plugins/manifest.ts';
import { RedisUnavailableError } from './redis.ts';
import { Shutdown } from './shutdown.ts';
import type { DiscordTargetFactory } from './target.ts';

/** What the composition root hands the process entry. */
export interface RunOptions {
	/** The built-in plugins; FACET_PLUGINS adds to them (see assemblePlugins). */
	plugins: readonly PluginManifest[];
	/** Where to connect to Discord. */
	discord: DiscordTargetFactory;
}

/** Process entry: assemble plugins, parse env, start, print where to click, and shut down cleanly on a signal. */
export async function run({ plugins: builtIn, discord }: RunOptions): Promise<void> {
	let env: Env;
	let plugins: PluginManifest[];
	try {
		plugins = await assemblePlugins(builtIn);
		env = parseEnv(process.env, plugins);
	} catch (error) {
		if (error instanceof EnvError || error instanceof PluginLoadError) {
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
	const { PendingMigrationsError } = await import('./database/migrations.ts');
	let handle: Awaited<ReturnType<typeof startFacet>>;
	try {
		handle = await startFacet({ env, logger, shutdown, plugins, discord });
	} catch (error) {
		// A start cut short by a signal fails on a closed part: that is the shutdown, not an error to report.
		if (exiting) return;
		if (error instanceof RedisUnavailableError || error instanceof PendingMigrationsError) logger.fatal(error.message);
		else logger.fatal({ err: error }, 'Facet failed to start');
		logger.flush();
		setTimeout(() => process.exit(1), 100);
		return;
	}
	if (exiting) return;

	const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
	logger.info(
		{ readyMs: handle.readyMs, phasesMs: handle.phasesMs, rssMiB: rss, mode: env.mode, plugins: plugins.map((p) => p.name) },
		'Facet is ready'
	);
	if (handle.target.banner) process.stdout.write(`${handle.target.banner}\n`);
	// Where an operator's psql or `DATABASE_URL=… npm run migrate` reaches the embedded database (its port is random).
	if (handle.embedded) process.stdout.write(`Embedded database (psql, DATABASE_URL=… npm run migrate): ${handle.embedded.url}\n`);
}
