import { UserError } from '@sapphire/framework';
import { DiscordAPIError, RESTJSONErrorCodes } from 'discord.js';
import type { z } from 'zod';

/*
 * Facet's one error vocabulary. Every error a user or a client can see has a snake_case identifier with the HTTP
 * status it implies; the same error renders as an ephemeral command reply (`renderErrorText`) and as an API body
 * (`renderErrorBody`, sent by `src/core/api/errors.ts`). Plugins declare theirs with `defineErrorIdentifiers`.
 */

/** How identifiers are spelled: snake_case (what clients and the dashboard switch on). */
const IDENTIFIER = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Every declared identifier → the HTTP status it implies. */
const statuses = new Map<string, number>();

/**
 * Declares identifiers with their statuses; throws on a name that is not snake_case or that another declaration
 * gave a different status. Returns the same map, typed, for use as constants.
 * @example export const MileageErrors = defineErrorIdentifiers({ mileage_unknown_tier: 404 });
 */
export function defineErrorIdentifiers<T extends Record<string, number>>(identifiers: T): T {
	for (const [identifier, status] of Object.entries(identifiers)) {
		if (!IDENTIFIER.test(identifier)) throw new Error(`error identifier "${identifier}" is not snake_case`);
		if (!Number.isInteger(status) || status < 400 || status > 599)
			throw new Error(`error identifier "${identifier}" has no 4xx/5xx status`);
		const known = statuses.get(identifier);
		if (known !== undefined && known !== status) throw new Error(`error identifier "${identifier}" is declared twice`);
		statuses.set(identifier, status);
	}
	return identifiers;
}

/** The HTTP status an identifier implies (500 for one nobody declared: that is a bug). */
export function statusOf(identifier: string): number {
	return statuses.get(identifier) ?? 500;
}

/** Every declared identifier (for the test that holds them to one style). */
export function declaredIdentifiers(): string[] {
	return [...statuses.keys()];
}

/** The core's identifiers: the API's own and those of the plugin service and command gate. */
export const CoreErrors = defineErrorIdentifiers({
	unauthorized: 401,
	forbidden: 403,
	forbidden_origin: 403,
	unknown_guild: 404,
	/** A user id that names nobody in the server. */
	unknown_member: 404,
	not_found: 404,
	method_not_allowed: 405,
	invalid_body: 400,
	invalid_json: 400,
	invalid_state: 400,
	invalid_request: 400,
	/** A command option that is not acceptable text or number (NUL, control characters, length, range). */
	invalid_input: 400,
	payload_too_large: 413,
	unsupported_media_type: 415,
	rate_limited: 429,
	internal_error: 500,
	oauth_failed: 502,
	oauth_unavailable: 503,
	service_unavailable: 503,
	plugin_disabled: 409,
	plugin_required: 409,
	unknown_plugin: 404,
	unknown_audit_entry: 404,
	guild_only: 400,
	/** Discord refused what Facet sent (50035 Invalid Form Body): the user is told, the log gets the fields. */
	discord_refused: 502
});

/** One of the core's identifiers. */
export type CoreErrorIdentifier = keyof typeof CoreErrors;

/** Identifiers the core's own code throws, by name. */
export const FacetIdentifiers = {
	PluginDisabled: 'plugin_disabled',
	PluginRequired: 'plugin_required',
	UnknownPlugin: 'unknown_plugin',
	InvalidSettings: 'invalid_body',
	InvalidInput: 'invalid_input',
	UnknownAuditEntry: 'unknown_audit_entry',
	GuildOnly: 'guild_only',
	DiscordRefused: 'discord_refused'
} as const satisfies Record<string, CoreErrorIdentifier>;

/** Field path (dot-joined, `''` for the value itself) → messages, as answered with `invalid_body`. */
export type FieldErrors = Record<string, string[]>;

/** Groups a zod error's issues by field path. */
export function fieldErrorsOf(error: z.ZodError): FieldErrors {
	const fields: FieldErrors = {};
	for (const issue of error.issues) {
		const key = issue.path.map(String).join('.');
		const messages = fields[key] ?? [];
		messages.push(issue.message);
		fields[key] = messages;
	}
	return fields;
}

/**
 * The one base class of user-facing errors, for the core and plugins: an identifier (its status comes from the
 * declaration), a message a person reads, and `details` that go into the API body. Never carries internals.
 */
export class FacetError extends UserError {
	/** The HTTP status the identifier implies. */
	public readonly status: number;
	/** Extra fields of the API body (`fields`, `job`, …). */
	public readonly details: Record<string, unknown>;

	public constructor(identifier: string, message: string, context: Record<string, unknown> = {}, details: Record<string, unknown> = {}) {
		super({ identifier, message, context });
		this.status = statusOf(identifier);
		this.details = details;
	}
}

/** A refused value with field errors (400 `invalid_body`, or another identifier such as `invalid_input`). */
export class FieldError extends FacetError {
	public readonly fields: FieldErrors;

	public constructor(fields: FieldErrors, message = `Invalid input — ${summarize(fields)}`, identifier = 'invalid_body') {
		super(identifier, message, { fields }, { fields });
		this.fields = fields;
	}
}

function summarize(fields: FieldErrors): string {
	return Object.entries(fields)
		.map(([path, messages]) => `${path || 'value'}: ${messages.join(', ')}`)
		.join('; ');
}

/** Thrown when a settings write does not pass the plugin's schema (or its references); nothing was written. */
export class SettingsValidationError extends FieldError {
	public constructor(plugin: string, fields: FieldErrors) {
		super(fields, `Invalid ${plugin} settings — ${summarize(fields)}`);
	}
}

/** Anything that carries an identifier and a status renders as itself (a {@link FacetError}, or a dependency's own class). */
export interface IdentifiedError {
	identifier: string;
	status: number;
	message?: string;
	details?: Record<string, unknown>;
}

/** Turns other errors into identified ones (e.g. a database driver's "connection refused" into a 503). */
export type ErrorMapper = (error: unknown) => IdentifiedError | null;

const mappers: ErrorMapper[] = [];

/** Adds a mapper the renderer asks about errors that carry no identifier (first answer wins). */
export function addErrorMapper(mapper: ErrorMapper): void {
	mappers.push(mapper);
}

function isIdentified(error: unknown): error is IdentifiedError {
	return (
		typeof error === 'object' &&
		error !== null &&
		typeof (error as IdentifiedError).identifier === 'string' &&
		typeof (error as IdentifiedError).status === 'number'
	);
}

/** Node socket errors and PostgreSQL/Redis states that mean a dependency is down, not that the code is wrong. */
const DEPENDENCY_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Connection exceptions, insufficient resources, shutdown, and a statement cancelled by its timeout. */
const DEPENDENCY_DOWN_SQLSTATE = /^(08|53|57P0[1-3]$|57014$)/;
/** Error classes of the database and Redis clients that mean the server could not be reached in time. */
const DEPENDENCY_DOWN_NAMES = new Set(['ConnectionException', 'MaxRetriesPerRequestError']);
const DEPENDENCY_DOWN_MESSAGE =
	/Connection terminated|Connection is closed|connect ECONNREFUSED|timeout exceeded when trying to connect|Redis offline queue is full|Stream isn't writeable/i;

/** True for an error (or its cause) that says a database, Redis or network dependency is unreachable. */
export function isDependencyDown(error: unknown): boolean {
	for (let current = error, depth = 0; current && depth < 5; depth++) {
		if (typeof current !== 'object') return false;
		const { code, message, name } = current as { code?: unknown; message?: unknown; name?: unknown };
		if (typeof code === 'string' && (DEPENDENCY_DOWN_CODES.has(code) || DEPENDENCY_DOWN_SQLSTATE.test(code))) return true;
		if (typeof name === 'string' && DEPENDENCY_DOWN_NAMES.has(name)) return true;
		if (typeof message === 'string' && DEPENDENCY_DOWN_MESSAGE.test(message)) return true;
		current = (current as { cause?: unknown }).cause;
	}
	return false;
}

/** `path: message` for each field of Discord's 50035 error tree (`{content: {_errors: [...]}}` → `content: Must be …`). */
export function discordFieldErrors(tree: unknown, path: string[] = []): string[] {
	if (typeof tree !== 'object' || tree === null) return [];
	const out: string[] = [];
	for (const [key, value] of Object.entries(tree)) {
		if (key === '_errors' && Array.isArray(value)) {
			for (const e of value) out.push(`${path.join('.') || 'body'}: ${(e as { message?: unknown }).message ?? 'invalid'}`);
		} else out.push(...discordFieldErrors(value, [...path, key]));
	}
	return out;
}

/** A Discord 50035 as the user reads it: what Discord refused, in its words (first three fields). */
function discordRefusal(error: unknown): IdentifiedError | null {
	if (!(error instanceof DiscordAPIError) || error.code !== RESTJSONErrorCodes.InvalidFormBodyOrContentType) return null;
	const fields = discordFieldErrors((error.rawError as { errors?: unknown }).errors);
	const detail = fields.length > 0 ? ` (${fields.slice(0, 3).join('; ')}${fields.length > 3 ? '; …' : ''})` : '';
	return {
		identifier: FacetIdentifiers.DiscordRefused,
		status: 502,
		message: `Discord refused Facet's answer as invalid${detail}. Try a shorter or simpler input; this was logged.`
	};
}

/** The identified form of an error, or null for a bug (which renders as `internal_error` and is logged). */
export function identify(error: unknown): IdentifiedError | null {
	if (isIdentified(error)) return error;
	// Sapphire's own user errors (preconditions such as `preconditionUserPermissions`) are the user's to fix: 400.
	if (error instanceof UserError)
		return { identifier: error.identifier, status: statuses.get(error.identifier) ?? 400, message: error.message };
	const refused = discordRefusal(error);
	if (refused) return refused;
	for (const mapper of mappers) {
		const mapped = mapper(error);
		if (mapped) return mapped;
	}
	if (isDependencyDown(error))
		return { identifier: 'service_unavailable', status: 503, message: 'A service Facet depends on is unreachable; try again shortly.' };
	return null;
}

/** Discord's limit on a message's content. */
export const DISCORD_CONTENT_LIMIT = 2_000;

/** Shortens text to `limit` characters, marking the cut (never splits a surrogate pair). */
export function truncate(text: string, limit = DISCORD_CONTENT_LIMIT): string {
	if (text.length <= limit) return text;
	let cut = limit - 1;
	if (/[\uD800-\uDBFF]/.test(text[cut - 1] ?? '')) cut--;
	return `${text.slice(0, cut)}…`;
}

const GENERIC_MESSAGE = 'Something went wrong while running this command. It has been logged; please try again later.';

/** The text a user sees for an error (at most Discord's 2,000 characters): its own message, or a generic line for a bug. */
export function renderErrorText(error: unknown): string {
	const identified = identify(error);
	return truncate(identified?.message || GENERIC_MESSAGE);
}

/** The API form of an error: its status and `{ error, message?, ...details }`, or the 500 `internal_error` of a bug. */
export function renderErrorBody(error: unknown): { status: number; body: Record<string, unknown>; bug: boolean } {
	const identified = identify(error);
	if (!identified) return { status: 500, body: { error: 'internal_error' }, bug: true };
	const body: Record<string, unknown> = { ...(identified.details ?? {}), error: identified.identifier };
	if (identified.message) body.message = identified.message;
	return { status: identified.status, body, bug: false };
}

/** What {@link deliverError} needs of an interaction (a slash command or a component). */
export interface ErrorReplyTarget {
	deferred: boolean;
	replied: boolean;
	guildId: string | null;
	user: { id: string };
	reply(options: { content: string; flags: number; allowedMentions: { parse: [] } }): Promise<unknown>;
	editReply(options: { content: string; allowedMentions: { parse: [] } }): Promise<unknown>;
	followUp(options: { content: string; flags: number; allowedMentions: { parse: [] } }): Promise<unknown>;
}

/** Discord's ephemeral message flag (1 << 6). */
const EPHEMERAL = 64;

/**
 * Delivers an error as an ephemeral reply (after a deferral: the edit of the reply, or a follow-up for components).
 * The text comes from {@link renderErrorText}, within Discord's limits; a failure to deliver is logged, never
 * swallowed — otherwise the user sees "the application did not respond" and nobody knows why.
 */
export async function deliverError(
	interaction: ErrorReplyTarget,
	error: unknown,
	{
		piece,
		logger,
		afterDeferral = 'edit'
	}: { piece: string; logger: { error(object: object, message: string): void }; afterDeferral?: 'edit' | 'followUp' }
): Promise<void> {
	const content = renderErrorText(error);
	const allowedMentions = { parse: [] as [] };
	try {
		if (!interaction.deferred && !interaction.replied) await interaction.reply({ content, flags: EPHEMERAL, allowedMentions });
		else if (afterDeferral === 'edit') await interaction.editReply({ content, allowedMentions });
		else await interaction.followUp({ content, flags: EPHEMERAL, allowedMentions });
	} catch (failure) {
		logger.error(
			{ err: failure, piece, guildId: interaction.guildId, userId: interaction.user.id, identifier: identify(error)?.identifier ?? null },
			'could not deliver an error reply'
		);
	}
}
