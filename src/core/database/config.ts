import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { migrationsList } from '../../../migrations/index.ts';
import { CoreGuild } from '../entities/CoreGuild.ts';
import { appRoot } from '../paths.ts';
import { join } from 'node:path';

/** Entities the core owns; plugins add theirs through their manifests. */
export const coreEntities = [CoreGuild];

/** Options for {@link createOrmConfig}. */
export interface OrmConfigOptions {
	clientUrl: string;
	/** Plugin entities appended to the core's. */
	entities?: unknown[];
	poolMax?: number;
	debug?: boolean;
}

/**
 * The one MikroORM configuration, used by the bot, `npm run migrate` and tests alike.
 * Migrations come from an explicit list, so the built output runs them without globbing `.ts` files.
 */
export function createOrmConfig(options: OrmConfigOptions): Options {
	return defineConfig({
		clientUrl: options.clientUrl,
		entities: [...coreEntities, ...((options.entities ?? []) as typeof coreEntities)],
		extensions: [Migrator],
		pool: { min: 0, max: options.poolMax ?? 10 },
		debug: options.debug ?? false,
		allowGlobalContext: false,
		migrations: {
			tableName: 'core_migrations',
			path: join(appRoot, 'migrations'),
			pathTs: join(appRoot, 'migrations'),
			migrationsList,
			emit: 'ts',
			snapshot: false,
			transactional: true,
			allOrNothing: true
		}
	});
}
