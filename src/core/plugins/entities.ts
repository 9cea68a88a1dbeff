import type { PluginManifest } from './manifest.ts';

/** A migration as MikroORM's `migrationsList` takes it. */
export interface MigrationEntry {
	name: string;
	class: new (...args: never[]) => unknown;
}

/** Every entity the given plugins bring, for the ORM's entity list. */
export function pluginEntities(plugins: readonly PluginManifest[]): unknown[] {
	return plugins.flatMap((plugin) => plugin.entities);
}

/** Qualifies a migration with its owner (`core`, or a plugin's name), so two owners' names never collide. */
export function ownedMigrations(owner: string, migrations: readonly MigrationEntry[]): MigrationEntry[] {
	return migrations.map((migration) => ({ name: `${owner}/${migration.name}`, class: migration.class }));
}

/** The migrations the given plugins declare, each recorded as `<plugin>/<name>`, in plugin order. */
export function pluginMigrations(plugins: readonly PluginManifest[]): MigrationEntry[] {
	return plugins.flatMap((plugin) => ownedMigrations(plugin.name, plugin.migrations ?? []));
}
