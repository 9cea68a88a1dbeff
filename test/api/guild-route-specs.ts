import { container } from '@sapphire/pieces';
import { NoteSchema, notesKey } from './fixtures/notes-route.ts';

/** What a spec gets to build paths, bodies and read state. */
export interface SpecContext {
	guildId: string;
}

/**
 * How the guild-route matrix (`guild-routes.matrix.test.ts`) exercises one route with a `[guild]` parameter,
 * keyed `"METHOD path"` exactly as the route store spells it (`"PATCH guilds/[guild]/plugins/[plugin]/settings"`).
 *
 * Every **writing** route (POST/PUT/PATCH/DELETE) must have an entry with `readState`, and — unless it takes no
 * body — `accepts` and `validBody`; a writing route without one fails the matrix. Reading routes need an entry
 * only to name their other path parameters.
 */
export interface GuildRouteSpec {
	/** Values of path parameters other than `[guild]`, used for every request the matrix sends. */
	params?(ctx: SpecContext): Record<string, string>;
	/** `'none'`: the route reads no body; the matrix then checks arbitrary bodies change nothing and never 500. */
	body?: 'json' | 'none';
	/** Whether the route accepts a body (mirror its schema, e.g. `(b) => Schema.safeParse(b).success`): accepted bodies are not "bad". */
	accepts?(body: unknown): boolean;
	/** A body the route accepts from a manager: the positive control, and the base that bad bodies mutate. */
	validBody?(ctx: SpecContext): Record<string, unknown>;
	/** Prepares the positive control (e.g. makes the audit entry to revert) and returns the params to use for it. */
	prepare?(ctx: SpecContext): Promise<Record<string, string>>;
	/** Reads back everything the route could write (the resource, a query, Redis keys…). */
	readState?(ctx: SpecContext): Promise<unknown>;
}

/** The plugin the plugin routes are exercised with (the test fixture `echo`, settings `{ prefix: string(1..10) }`). */
const PLUGIN = 'echo';

/** Everything the core plugin routes can change in a guild: switches, settings and the audit log. */
async function pluginState({ guildId }: SpecContext) {
	const audit = await container.plugins.audit(guildId, { limit: 100 });
	return {
		enabled: container.plugins.list().map((p) => [p.name, container.plugins.isEnabled(guildId, p.name)]),
		settings: container.plugins.list().map((p) => [p.name, container.plugins.settings(guildId, p.name)]),
		audit: audit.map((entry) => entry.id)
	};
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** Routes and how to test them. Add an entry with every new writing guild route. */
export const guildRouteSpecs: Record<string, GuildRouteSpec> = {
	'POST apitest/guilds/[guild]/notes': {
		accepts: (body) => NoteSchema.safeParse(body).success,
		validBody: () => ({ title: 'Welcome', pinned: false, tags: ['a'], remind: null }),
		readState: ({ guildId }) => container.redis.lrange(notesKey(guildId), 0, -1)
	},
	'GET guilds/[guild]/plugins/[plugin]': { params: () => ({ plugin: PLUGIN }) },
	'GET guilds/[guild]/plugins/[plugin]/settings': { params: () => ({ plugin: PLUGIN }) },
	'PUT guilds/[guild]/plugins/[plugin]': {
		params: () => ({ plugin: PLUGIN }),
		accepts: (body) => isPlainObject(body) && Object.keys(body).length === 1 && typeof body.enabled === 'boolean',
		validBody: () => ({ enabled: false }),
		readState: pluginState
	},
	'PATCH guilds/[guild]/plugins/[plugin]/settings': {
		params: () => ({ plugin: PLUGIN }),
		accepts: (body) =>
			isPlainObject(body) &&
			Object.keys(body).length > 0 &&
			Object.keys(body).every((key) => key === 'prefix') &&
			(body.prefix === null || (typeof body.prefix === 'string' && body.prefix.length >= 1 && body.prefix.length <= 10)),
		validBody: () => ({ prefix: 'matrix:' }),
		readState: pluginState
	},
	'POST guilds/[guild]/audit/[entry]/revert': {
		body: 'none',
		// An entry that does not exist: refusals and stray bodies must not revert anything.
		params: () => ({ entry: '999999999' }),
		async prepare({ guildId }) {
			await container.plugins.updateSettings(guildId, PLUGIN, { prefix: 'before:' }, { id: '1', source: 'system' });
			const [latest] = await container.plugins.audit(guildId, { limit: 1 });
			return { entry: String(latest!.id) };
		},
		readState: pluginState
	}
};
