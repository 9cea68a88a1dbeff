import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { EnvError, parseEnv } from '../env.ts';
import { createLogger } from '../logger.ts';
import { appRoot } from '../paths.ts';
import { assemblePlugins } from '../plugins/loader.ts';
import type { PluginManifest } from '../plugins/manifest.ts';
import { createOrmConfig } from './config.ts';
import { startEmbeddedDatabase } from './embedded.ts';
import { migrate } from './migrations.ts';

/**
 * `npm run migrate [up|pending|create [owner] [--initial]]` for the plugin list the composition root gives:
 * the same list, assembled the same way (FACET_PLUGINS included), as the bot's start, so both apply the same
 * migrations. `create` diffs the entities against a database with every committed migration and writes the
 * new one to `migrations/<owner>/` (default `core`). Exits 2 on a bad environment.
 */
export async function runMigrateCommand(
	builtIn: readonly PluginManifest[],
	argv: readonly string[] = process.argv.slice(2)
): Promise<void> {
	const logger = createLogger({ name: 'migrate' });
	const plugins = await assemblePlugins(builtIn);
	let env: ReturnType<typeof parseEnv>;
	try {
		env = parseEnv(process.env, plugins);
	} catch (error) {
		if (!(error instanceof EnvError)) throw error;
		process.stderr.write(`${error.message}\n`);
		process.exit(2);
	}
	const [command = 'up', ...rest] = argv;
	const owner = command === 'create' ? (rest.find((arg) => !arg.startsWith('--')) ?? 'core') : 'core';
	if (owner !== 'core' && !plugins.some((plugin) => plugin.name === owner)) throw new Error(`create: no plugin named "${owner}"`);
	const embedded = env.DATABASE_URL ? null : await startEmbeddedDatabase({ dataDir: `${env.DATA_DIR}/pglite` });
	const orm = await MikroORM.init(
		createOrmConfig({
			clientUrl: env.DATABASE_URL ?? embedded!.url,
			plugins,
			poolMax: 2,
			migrationsPath: join(appRoot, 'migrations', owner)
		})
	);
	try {
		if (command === 'up') {
			const { applied, adopted } = await migrate(orm);
			if (adopted.length) logger.info({ adopted }, 'migrations recorded under their owner');
			logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
		} else if (command === 'create') {
			// Diff against a database that has every committed migration, so a new one holds only the change.
			await migrate(orm);
			const result = await orm.migrator.create(undefined, false, rest.includes('--initial'));
			logger.info({ file: result.fileName }, result.fileName ? `migration created: add it to migrations/${owner}/index.ts` : 'no changes');
		} else if (command === 'pending') {
			const pending = await orm.migrator.getPending();
			logger.info({ pending: pending.map((m) => m.name) }, `${pending.length} pending`);
		} else {
			throw new Error(`unknown command "${command}" (use up, create or pending)`);
		}
	} finally {
		await orm.close(true);
		await embedded?.stop();
	}
}
