import { ChannelType, type Guild } from 'discord.js';
import { z } from 'zod';
import type { FieldErrors } from './errors.ts';
import { isSnowflake } from './input.ts';

/*
 * Settings that name a channel or a role declare it in their schema (`channelReference()`, `roleReference()`); the
 * plugin service checks every such value against the bot's guild cache on each write, whether it came from a
 * command or the API, so both paths refuse a voice channel as a welcome channel, a role of another server or
 * `@everyone` as a dashboard role the same way.
 */

/** What a reference must name. */
export type Reference =
	| { kind: 'channel' /** `text`: a channel messages can be posted in (text or announcement). */; channels: 'text' | 'any' }
	| { kind: 'role' /** `@everyone` (id = guild id) is refused unless allowed: granting it grants everyone. */; allowEveryone: boolean };

/** Schemas that are references, with what they must name. */
export const references = z.registry<Reference>();

const TEXT_CHANNELS: readonly ChannelType[] = [ChannelType.GuildText, ChannelType.GuildAnnouncement];

/** A settings field naming a channel of the guild (`text`: one messages can be posted in). */
export function channelReference(channels: 'text' | 'any' = 'text') {
	return z.string().refine(isSnowflake, 'must be a Discord id').register(references, { kind: 'channel', channels });
}

/** A settings field naming a role of the guild (never `@everyone` unless `allowEveryone`). */
export function roleReference({ allowEveryone = false }: { allowEveryone?: boolean } = {}) {
	return z.string().refine(isSnowflake, 'must be a Discord id').register(references, { kind: 'role', allowEveryone });
}

/** Why `id` does not name what the reference wants in the guild, or null. */
export function referenceProblem(guild: Guild | undefined, reference: Reference, id: string): string | null {
	if (reference.kind === 'channel') {
		const channel = guild?.channels.cache.get(id);
		if (!channel) return 'is not a channel of this server';
		if (reference.channels === 'text' && !TEXT_CHANNELS.includes(channel.type)) return 'must be a text or announcement channel';
		return null;
	}
	if (guild && id === guild.id && !reference.allowEveryone) return 'cannot be @everyone';
	if (!guild?.roles.cache.has(id)) return 'is not a role of this server';
	return null;
}

/** The schema under `optional`, `nullable`, `default` and the like. */
function unwrap(schema: z.ZodType): z.ZodType {
	let current = schema;
	for (let i = 0; i < 10; i++) {
		const def = (current as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
		if (!def.innerType || !['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) break;
		if (references.has(current)) break;
		current = def.innerType;
	}
	return current;
}

/**
 * Field errors for every reference in `value` (parsed with `schema`) that does not name the right thing in the
 * guild, or null. `keys` limits a top-level object to the fields being written (stored values are not re-judged).
 */
export function referenceProblems(
	schema: z.ZodType,
	value: unknown,
	guild: Guild | undefined,
	keys?: readonly string[]
): FieldErrors | null {
	const fields: FieldErrors = {};
	const visit = (node: z.ZodType, current: unknown, path: string[], only?: readonly string[]) => {
		if (current === null || current === undefined) return;
		const reference = references.get(node) ?? references.get(unwrap(node));
		if (reference) {
			const problem = typeof current === 'string' ? referenceProblem(guild, reference, current) : null;
			if (problem) fields[path.join('.')] = [problem];
			return;
		}
		const inner = unwrap(node);
		const def = (inner as unknown as { _zod: { def: { type: string; element?: z.ZodType; shape?: Record<string, z.ZodType> } } })._zod.def;
		if (def.type === 'array' && def.element && Array.isArray(current)) {
			for (const [index, item] of current.entries()) visit(def.element!, item, [...path, String(index)]);
		} else if (def.type === 'object' && def.shape && typeof current === 'object') {
			for (const [key, child] of Object.entries(def.shape)) {
				if (only && !only.includes(key)) continue;
				visit(child, (current as Record<string, unknown>)[key], [...path, key]);
			}
		}
	};
	visit(schema, value, [], keys);
	return Object.keys(fields).length > 0 ? fields : null;
}
