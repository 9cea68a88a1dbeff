import { container } from '@sapphire/framework';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { z } from 'zod';
import { FacetError } from '../errors.ts';
import { requireGuildManager } from './access.ts';
import type { AuditEntryView, JsonSchema, PluginView } from './contract.ts';
import { sendError, sendErrorOf } from './errors.ts';
import type { GuildContext } from './request-state.ts';

/** Guards a `guilds/[guild]/plugins/[plugin]…` route: a manager of the guild and a plugin that exists (else 404). */
export async function requireGuildPlugin(
	request: ApiRequest,
	response: ApiResponse
): Promise<{ ctx: GuildContext; plugin: string } | null> {
	const ctx = await requireGuildManager(request, response);
	if (!ctx) return null;
	const plugin = request.params.plugin ?? '';
	if (!container.plugins.get(plugin)) {
		sendError(response, 'not_found');
		return null;
	}
	return { ctx, plugin };
}

/**
 * Runs a plugin-service write; a user-facing error it throws (field errors, an unknown entry, a required plugin…)
 * is answered in its API form. Resolves false when it answered; anything else (a bug) is rethrown to `runSafely`.
 */
export async function serviceCall(response: ApiResponse, write: () => Promise<unknown>): Promise<boolean> {
	try {
		await write();
		return true;
	} catch (error) {
		if (!(error instanceof FacetError)) throw error;
		sendErrorOf(response, error);
		return false;
	}
}

/** A plugin as the dashboard shows it in one guild. */
export function pluginView(guildId: string, name: string): PluginView {
	const manifest = container.plugins.get(name)!;
	return {
		name: manifest.name,
		description: manifest.description,
		required: manifest.required,
		defaultEnabled: manifest.defaultEnabled,
		enabled: container.plugins.isEnabled(guildId, manifest.name)
	};
}

/** An audit entry as JSON. */
export function auditView(entry: {
	id: number;
	actorId: string;
	source: string;
	plugin: string;
	key: string;
	before?: { value: unknown } | null;
	after?: { value: unknown } | null;
	revertOf?: number | null;
	createdAt: Date;
}): AuditEntryView {
	return {
		id: String(entry.id),
		actorId: entry.actorId,
		source: entry.source,
		plugin: entry.plugin,
		key: entry.key,
		before: entry.before ?? null,
		after: entry.after ?? null,
		revertOf: entry.revertOf == null ? null : String(entry.revertOf),
		createdAt: entry.createdAt.toISOString()
	};
}

const schemas = new Map<string, JsonSchema | null>();

/**
 * A plugin's settings as a JSON Schema of their input (types, bounds, choices, defaults), for the dashboard's
 * forms; computed once per plugin. Checks a schema cannot express (refinements) stay on the server.
 */
export function settingsSchema(name: string): JsonSchema | null {
	if (schemas.has(name)) return schemas.get(name)!;
	const settings = container.plugins.get(name)?.settings;
	let schema: JsonSchema | null = null;
	try {
		schema = settings ? (z.toJSONSchema(settings, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : null;
	} catch {
		// A schema zod cannot describe still saves through the API; the form falls back to plain text fields.
		schema = null;
	}
	schemas.set(name, schema);
	return schema;
}
