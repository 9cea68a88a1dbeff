// `npm run migrate` — applies pending migrations (default), or `npm run migrate -- create` generates one
// from the difference between the entities and the database.
import { MikroORM } from '@mikro-orm/postgresql';
import { plugins } from '../../plugins/index.ts';
import { parseEnv } from '../env.ts';
import { createLogger } from '../logger.ts';
import { pluginEntities } from '../plugins/entities.ts';
import { createOrmConfig } from './config.ts';
import { startEmbeddedDatabase } from './embedded.ts';

const logger = createLogger({ name: 'migrate' });
const env = parseEnv(process.env, plugins);
const command = process.argv[2] ?? 'up';
const embedded = env.DATABASE_URL ? null : await startEmbeddedDatabase({ dataDir: `${env.DATA_DIR}/pglite` });
const orm = await MikroORM.init(createOrmConfig({ clientUrl: env.DATABASE_URL ?? embedded!.url, entities: pluginEntities(), poolMax: 2 }));
try {
	if (command === 'up') {
		const applied = await orm.migrator.up();
		logger.info({ applied: applied.map((m) => m.name) }, applied.length ? 'migrations applied' : 'database is up to date');
	} else if (command === 'create') {
		// Diff against a database that has every committed migration, so a new one holds only the change.
		await orm.migrator.up();
		const result = await orm.migrator.create(undefined, false, process.argv[3] === '--initial');
		logger.info({ file: result.fileName }, result.fileName ? 'migration created: add it to migrations/index.ts' : 'no changes');
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
