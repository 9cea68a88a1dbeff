import { MikroORM } from '@mikro-orm/postgresql';
import type { MigrationEntry } from '../plugins/entities.ts';
import { createOrmConfig, type OrmConfigOptions } from './config.ts';

/** Name of the table MikroORM records applied migrations in (see createOrmConfig). */
export const MIGRATIONS_TABLE = 'core_migrations';

/**
 * Databases made before migrations were owned recorded them by their bare name (`Migration2026…`). Each one
 * that exactly one owner now claims is renamed to its owner-qualified name, so it is not applied twice.
 * Returns the names it renamed.
 */
export async function adoptLegacyMigrationNames(orm: MikroORM): Promise<string[]> {
	const migrations = (orm.config.get('migrations').migrationsList ?? []) as MigrationEntry[];
	const connection = orm.em.getConnection();
	const [table] = await connection.execute<{ exists: string | null }[]>(`select to_regclass(?) as exists`, [MIGRATIONS_TABLE]);
	if (!table?.exists) return [];
	// Once adopted, a database has no bare names left: the usual start costs this one read, not a write per migration.
	const bare = await connection.execute<{ name: string }[]>(`select name from "${MIGRATIONS_TABLE}" where name not like '%/%'`);
	if (bare.length === 0) return [];
	const claims = new Map<string, string[]>();
	for (const { name } of migrations) {
		const short = name.slice(name.indexOf('/') + 1);
		claims.set(short, [...(claims.get(short) ?? []), name]);
	}
	const renamed: string[] = [];
	for (const { name } of bare) {
		const owners = claims.get(name);
		if (owners?.length !== 1) continue;
		const rows = await connection.execute<{ name: string }[]>(
			`update "${MIGRATIONS_TABLE}" set name = ? where name = ? and not exists (select 1 from "${MIGRATIONS_TABLE}" where name = ?) returning name`,
			[owners[0], name, owners[0]]
		);
		if (rows.length) renamed.push(owners[0]!);
	}
	return renamed;
}

/**
 * Applies every pending migration of the schema the ORM was configured with (the core's and its plugins'); the
 * bot's start and `npm run migrate` share it.
 */
export async function migrate(orm: MikroORM): Promise<{ applied: string[]; adopted: string[] }> {
	const adopted = await adoptLegacyMigrationNames(orm);
	const applied = (await orm.migrator.up()).map((migration) => migration.name);
	return { applied, adopted };
}

/**
 * {@link migrate} on a connection of its own, without the bot's statement limits (a migration may rightly run for
 * minutes), closed afterwards; the bot's own pool is opened with its limits after this.
 */
export async function migrateUnlimited(options: OrmConfigOptions): Promise<{ applied: string[]; adopted: string[] }> {
	const orm = await MikroORM.init(createOrmConfig({ ...options, timeouts: null, poolMax: 2 }));
	try {
		return await migrate(orm);
	} finally {
		await orm.close(true);
	}
}

/** A start with `MIGRATE_ON_START=false` found the schema behind the code: the one-shot migrate did not run. */
export class PendingMigrationsError extends Error {
	public readonly pending: readonly string[];

	public constructor(pending: readonly string[]) {
		super(
			`MIGRATE_ON_START is false and ${pending.length} migration(s) are pending (${pending.join(', ')}): run \`node dist/migrate.js\` (npm run migrate) first`
		);
		this.name = 'PendingMigrationsError';
		this.pending = pending;
	}
}

/**
 * Names of the migrations not yet applied, read with the bot's own ORM (a start with `MIGRATE_ON_START=false`):
 * no second ORM and metadata discovery just to list them.
 */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
	return (await orm.migrator.getPending()).map((migration) => migration.name);
}
