import { container } from '@sapphire/framework';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';
import { z } from 'zod';
import { FacetError, FacetIdentifiers, SettingsValidationError } from '../errors.ts';
import { requireGuildManager } from './access.ts';
import type { AuditEntryView, JsonSchema, PluginView } from './contract.ts';
import { sendError } from './errors.ts';
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

/** Runs a plugin-service write; its known errors become API answers (see {@link sendServiceError}). Resolves false when it answered. */
export async function serviceCall(response: ApiResponse, write: () => Promise<unknown>): Promise<boolean> {
	try {
		await write();
		return true;
	} catch (error) {
		if (sendServiceError(response, error)) return false;
		throw error;
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

/**
 * Answers the API form of a core error thrown by the plugin service: field errors as 400, unknown things as
 * 404, a required plugin as 409. Returns false for anything else (left to the caller's error handling).
 */
export function sendServiceError(response: ApiResponse, error: unknown): boolean {
	if (error instanceof SettingsValidationError) {
		sendError(response, 'invalid_body', { fields: error.fields });
		return true;
	}
	if (error instanceof FacetError) {
		switch (error.identifier) {
			case FacetIdentifiers.UnknownPlugin:
			case FacetIdentifiers.UnknownAuditEntry:
				response.status(404).json({ error: 'not_found', message: error.message });
				return true;
			case FacetIdentifiers.PluginRequired:
				response.status(409).json({ error: 'plugin_required', message: error.message });
				return true;
		}
	}
	return false;
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
