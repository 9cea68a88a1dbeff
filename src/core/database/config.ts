import { join } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import { migrationsList } from '../../../migrations/index.ts';
import { CoreAuditEntry } from '../entities/CoreAuditEntry.ts';
import { CoreCommandSync } from '../entities/CoreCommandSync.ts';
import { CoreGuild } from '../entities/CoreGuild.ts';
import { CorePluginState } from '../entities/CorePluginState.ts';
import { appRoot } from '../paths.ts';
import { type DatabaseTimeouts, poolTimeoutOptions } from './timeouts.ts';

/** Entities the core owns; plugins add theirs through their manifests. */
export const coreEntities = [CoreGuild, CorePluginState, CoreAuditEntry, CoreCommandSync];

/** Options for {@link createOrmConfig}. */
export interface OrmConfigOptions {
	clientUrl: string;
	/** Plugin entities appended to the core's. */
	entities?: unknown[];
	/** Plugin-shipped migrations appended to the project's list. */
	migrations?: { name: string; class: new (...args: never[]) => unknown }[];
	poolMax?: number;
	/** Statement and connection-acquire limits (the bot's); `null` or omitted: none (migrations, tools). */
	timeouts?: DatabaseTimeouts | null;
	debug?: boolean;
}

/**
 * The one MikroORM configuration, used by the bot, `npm run migrate` and tests alike.
 * Migrations come from an explicit list, so the built output runs them without globbing `.ts` files.
 */
export function createOrmConfig(options: OrmConfigOptions): Options {
	return defineConfig({
		clientUrl: options.clientUrl,
		// biome-ignore lint/suspicious/noExplicitAny: entity schemas of different shapes.
		entities: [...coreEntities, ...(options.entities ?? [])] as any[],
		extensions: [Migrator],
		pool: { min: 0, max: options.poolMax ?? 10 },
		...(options.timeouts ? { driverOptions: poolTimeoutOptions(options.timeouts) } : {}),
		debug: options.debug ?? false,
		allowGlobalContext: false,
		migrations: {
			tableName: 'core_migrations',
			path: join(appRoot, 'migrations'),
			pathTs: join(appRoot, 'migrations'),
			// biome-ignore lint/suspicious/noExplicitAny: MikroORM's Migration constructor type.
			migrationsList: [...migrationsList, ...(options.migrations ?? [])] as any[],
			emit: 'ts',
			snapshot: false,
			transactional: true,
			allOrNothing: true
		}
	});
}

/**
 * Applies pending migrations on a connection of their own without the bot's statement limits (a migration may
 * rightly run for minutes), then closes it. Resolves with the names applied.
 */
export async function applyMigrations(options: OrmConfigOptions): Promise<string[]> {
	const orm = await MikroORM.init(createOrmConfig({ ...options, timeouts: null, poolMax: 2 }));
	try {
		return (await orm.migrator.up()).map((migration) => migration.name);
	} finally {
		await orm.close(true);
	}
}
