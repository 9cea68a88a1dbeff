import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { SapphireClient } from '@sapphire/framework';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Env } from '../env.ts';
import type { GuildFacts } from '../guild-facts.ts';
import { codeRoot } from '../paths.ts';

/** What a plugin's `start` hook receives: the core's services, before the client logs in. */
export interface PluginContext {
	env: Env;
	orm: MikroORM;
	redis: Redis;
	client: SapphireClient;
	/** A logger named after the plugin. */
	logger: Logger;
}

/** What a plugin declares about itself. The core reads nothing else from a plugin. */
export interface PluginManifest<Settings extends z.ZodType = z.ZodType> {
	/** Unique, lowercase; also the prefix of its tables, pieces and routes. */
	name: string;
	description: string;
	/** Whether a guild that never toggled the plugin has it on. */
	defaultEnabled: boolean;
	/** A required plugin cannot be switched off. */
	required: boolean;
	/** Folder holding the plugin's piece folders (`commands/`, `listeners/`, …). */
	directory: string;
	/**
	 * Environment variables the plugin reads (prefix them with the plugin's name). Parsed with the core's at
	 * start, so a bad value stops the process with the others; the plugin reads them from `context.env`.
	 */
	env?: z.ZodObject;
	/** Per-guild settings; parsing `{}` must give the defaults. */
	settings: Settings;
	/** MikroORM entities (defineEntity) the plugin owns. */
	entities: unknown[];
	/**
	 * The plugin's migrations, in order, run after the core's and recorded as `<plugin>/<name>`. The plugin owns
	 * its schema: a build without the plugin never creates its tables. Plugins in this repository keep theirs in
	 * `migrations/<plugin>/`; a plugin package ships them inside the package.
	 */
	migrations?: readonly { name: string; class: new (...args: never[]) => unknown }[];
	/**
	 * Roles this plugin grants dashboard access in a guild (besides owner, Administrator and Manage Server). The
	 * core asks every plugin that has the hook and grants access to any role named; read from memory.
	 */
	dashboardRoles?(guildId: string): readonly string[];
	/**
	 * Guild-wide facts this plugin provides (time zone, locale, daily channel), read by every plugin through
	 * `container.guildFacts`; from memory. Leave a field out to let another plugin or the default decide.
	 */
	guildFacts?(guildId: string): Partial<GuildFacts>;
	/** Called once at start, before login: build the plugin's services (put them on the container). */
	start?(context: PluginContext): Promise<void> | void;
	/**
	 * Called once at shutdown after the gateway closed and before the database closes: write out what is
	 * buffered. Must finish within a few seconds.
	 */
	stop?(): Promise<void> | void;
	onEnable?(guildId: string): Promise<void> | void;
	onDisable?(guildId: string): Promise<void> | void;
}

/**
 * The folder of a plugin shipped in `src/plugins/<name>/`, in source or built form. Use it instead of
 * `dirname(import.meta.url)`: in the build, the manifest's code lives in a shared chunk at the root of dist/.
 */
export function pluginDirectory(name: string): string {
	return join(codeRoot, 'plugins', name);
}

/** Declares a plugin with its types inferred. */
export function definePlugin<Settings extends z.ZodType>(manifest: PluginManifest<Settings>): PluginManifest<Settings> {
	if (!/^[a-z][a-z0-9-]{1,31}$/.test(manifest.name)) throw new Error(`invalid plugin name "${manifest.name}"`);
	return manifest;
}
