import { ApplicationCommandType, InteractionResponseType } from 'discord-api-types/v10';
import type { SandboxContext } from '../context.ts';
import { FormErrors, RestError } from '../errors.ts';
import type { ParsedBody } from '../http.ts';
import type { SandboxState } from '../state.ts';
import {
	checkCommandCounts,
	checkCommandSize,
	checkMessageLimits,
	checkUploads,
	MAX_COMMANDS,
	MAX_DAILY_COMMAND_CREATES
} from './limits.ts';
import { checkRequestBody } from './schema.ts';

export { precompileRequestSchemas } from './schema.ts';

/*
 * The strict request check the REST server runs before a handler: Discord's request schema for the
 * operation, then the limits Discord enforces on top of it. A refused body is 50035 (or Discord's own
 * code for a quota) and the handler never runs, so nothing changes.
 */

const MESSAGE_BODIES = new Set([
	'create_message',
	'update_message',
	'execute_webhook',
	'update_original_webhook_message',
	'update_webhook_message'
]);
const COMMAND_CREATE = new Set(['create_application_command', 'create_guild_application_command']);
const COMMAND_OVERWRITE = new Set(['bulk_set_application_commands', 'bulk_set_guild_application_commands']);
const COMMAND_PATCH = new Set(['update_application_command', 'update_guild_application_command']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const DAY_MS = 86_400_000;

/** Command creates per guild in the last 24 hours, per emulator world. */
const creates = new WeakMap<SandboxState, Map<string, number[]>>();

function createsToday(state: SandboxState, guildId: string, now: number): number[] {
	let byGuild = creates.get(state);
	if (!byGuild) {
		byGuild = new Map();
		creates.set(state, byGuild);
	}
	const recent = (byGuild.get(guildId) ?? []).filter((t) => now - t < DAY_MS);
	byGuild.set(guildId, recent);
	return recent;
}

const commandKey = (body: unknown): string =>
	isObject(body) ? `${typeof body.type === 'number' ? body.type : ApplicationCommandType.ChatInput}:${String(body.name)}` : '';

/** How many commands this request would create in its scope (new name and type pairs). */
function newCommands(state: SandboxState, guildId: string | null, bodies: unknown[]): number {
	const existing = new Set(state.commandsOf(guildId).map((c) => `${c.type}:${c.name}`));
	return new Set(bodies.map(commandKey).filter((k) => k !== '' && !existing.has(k))).size;
}

/**
 * Validates one request; throws a RestError Discord would answer with. Returns what to record once the
 * handler succeeded (command creates counted against the guild's daily quota).
 */
export function validateRequest(ctx: SandboxContext, operationId: string, params: Record<string, string>, body: ParsedBody): () => void {
	const json = body.json;
	checkUploads(body.files);
	const errors = new FormErrors();
	// An empty body (or files only) is checked as `{}`: handlers answer what Discord says to a missing body.
	checkRequestBody(errors, operationId, json === undefined ? {} : json);
	if (MESSAGE_BODIES.has(operationId)) checkMessageLimits(errors, [], json);
	if (operationId === 'create_interaction_response' && isObject(json)) {
		const type = json.type;
		if (type === InteractionResponseType.ChannelMessageWithSource || type === InteractionResponseType.UpdateMessage)
			checkMessageLimits(errors, ['data'], json.data);
	}
	if (COMMAND_CREATE.has(operationId) || COMMAND_PATCH.has(operationId)) checkCommandSize(errors, [], json);
	if (COMMAND_OVERWRITE.has(operationId)) {
		if (Array.isArray(json))
			json.forEach((command, i) => {
				checkCommandSize(errors, [i], command);
			});
		checkCommandCounts(errors, json);
	}
	errors.throwIfAny();

	if (!COMMAND_CREATE.has(operationId) && !COMMAND_OVERWRITE.has(operationId)) return () => {};
	const guildId = params.guild_id ?? null;
	const bodies = Array.isArray(json) ? json : [json];
	const count = newCommands(ctx.state, guildId, bodies);
	if (COMMAND_CREATE.has(operationId) && count > 0) {
		const type = isObject(json) && typeof json.type === 'number' ? json.type : ApplicationCommandType.ChatInput;
		const max = MAX_COMMANDS[type] ?? 100;
		if (ctx.state.commandsOf(guildId).filter((c) => c.type === type).length >= max)
			throw new RestError(400, 30032, `Maximum number of application commands reached (${max})`);
	}
	if (guildId === null || count === 0) return () => {};
	const now = Date.now();
	const recent = createsToday(ctx.state, guildId, now);
	if (recent.length + count > MAX_DAILY_COMMAND_CREATES)
		throw new RestError(400, 30034, `Max number of daily application command creates has been reached (${MAX_DAILY_COMMAND_CREATES})`);
	return () => {
		for (let i = 0; i < count; i++) recent.push(now);
	};
}
