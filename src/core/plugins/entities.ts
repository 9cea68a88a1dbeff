import { plugins as listedPlugins } from '../../plugins/index.ts';
import type { PluginManifest } from './manifest.ts';

/** Every entity the given plugins bring, for the ORM's entity list. */
export function pluginEntities(plugins: PluginManifest[] = listedPlugins): unknown[] {
	return plugins.flatMap((plugin) => plugin.entities);
}

/** Migrations the given plugins ship themselves. */
export function pluginMigrations(plugins: PluginManifest[] = listedPlugins) {
	return plugins.flatMap((plugin) => plugin.migrations ?? []);
}
