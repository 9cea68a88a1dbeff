import { join } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { coreMigrations } from '../../../migrations/core/index.ts';
import { CoreAuditEntry } from '../entities/CoreAuditEntry.ts';
import { CoreCommandSync } from '../entities/CoreCommandSync.ts';
import { CoreGuild } from '../entities/CoreGuild.ts';
import { CorePluginState } from '../entities/CorePluginState.ts';
import { appRoot } from '../paths.ts';
import { type MigrationEntry, ownedMigrations, pluginEntities, pluginMigrations } from '../plugins/entities.ts';
import type { PluginManifest } from '../plugins/manifest.ts';
import { type DatabaseTimeouts, poolTimeoutOptions } from './timeouts.ts';

/** Entities the core owns; plugins add theirs through their manifests. */
export const coreEntities = [CoreGuild, CorePluginState, CoreAuditEntry, CoreCommandSync];

/** Options for {@link createOrmConfig}. */
export interface OrmConfigOptions {
	clientUrl: string;
	/** The plugins whose entities and migrations join the core's; none → the core's schema alone. */
	plugins?: readonly PluginManifest[];
	poolMax?: number;
	/** Statement and connection-acquire limits (the bot's); `null` or omitted: none (migrations, tools). */
	timeouts?: DatabaseTimeouts | null;
	/** Folder `npm run migrate -- create` writes a new migration to. @default migrations/core */
	migrationsPath?: string;
	debug?: boolean;
}

/** Every migration of the core and the given plugins, owner-qualified, in the order they run. */
export function migrationsOf(plugins: readonly PluginManifest[]): MigrationEntry[] {
	return [...ownedMigrations('core', coreMigrations), ...pluginMigrations(plugins)];
}

/**
 * The one MikroORM configuration, used by the bot, `npm run migrate` and tests alike. The schema is the core's
 * plus what each given plugin's manifest declares: a plugin that is not loaded has its tables neither mapped
 * nor migrated. Migrations come from explicit lists, so the built output runs them without globbing.
 */
export function createOrmConfig(options: OrmConfigOptions): Options {
	const plugins = options.plugins ?? [];
	const path = options.migrationsPath ?? join(appRoot, 'migrations', 'core');
	return defineConfig({
		clientUrl: options.clientUrl,
		// biome-ignore lint/suspicious/noExplicitAny: entity schemas of different shapes.
		entities: [...coreEntities, ...pluginEntities(plugins)] as any[],
		extensions: [Migrator],
		pool: { min: 0, max: options.poolMax ?? 10 },
		// MikroORM splits clientUrl into host, user and database and drops its query: a URL with one is handed to pg
		// as well, which keeps `sslmode`, `sslrootcert` and the rest (sslmode=verify-full must never connect in clear).
		driverOptions: {
			...(new URL(options.clientUrl).search ? { connectionString: options.clientUrl } : {}),
			...(options.timeouts ? poolTimeoutOptions(options.timeouts) : {})
		},
		debug: options.debug ?? false,
		allowGlobalContext: false,
		migrations: {
			tableName: 'core_migrations',
			path,
			pathTs: path,
			// biome-ignore lint/suspicious/noExplicitAny: MikroORM's Migration constructor type.
			migrationsList: migrationsOf(plugins) as any[],
			emit: 'ts',
			snapshot: false,
			transactional: true,
			allOrNothing: true
		}
	});
}
