/** Discord JSON error codes the emulator answers with (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
export const DiscordErrorCode = {
	General: 0,
	UnknownApplication: 10002,
	UnknownChannel: 10003,
	UnknownGuild: 10004,
	UnknownMember: 10007,
	UnknownMessage: 10008,
	UnknownRole: 10011,
	UnknownToken: 10012,
	UnknownUser: 10013,
	UnknownWebhook: 10015,
	InvalidWebhookToken: 50027,
	UnknownInteraction: 10062,
	UnknownApplicationCommand: 10063,
	MissingAccess: 50001,
	CannotSendEmptyMessage: 50006,
	CannotEditOtherUsersMessage: 50005,
	MissingPermissions: 50013,
	InvalidFormBody: 50035,
	InvalidJson: 50109,
	InteractionAlreadyAcknowledged: 40060
} as const;

/** One entry of a Discord form-body error (`{code, message}` under `_errors`). */
export interface FieldError {
	code: string;
	message: string;
}

/** Discord's nested form-body error tree: `{field: {0: {name: {_errors: [...]}}}}`. */
export interface ErrorTree {
	[key: string]: ErrorTree | FieldError[];
}

/** An error a REST handler throws to answer with a Discord-shaped JSON error. */
export class RestError extends Error {
	readonly status: number;
	readonly code: number;
	readonly errors: ErrorTree | undefined;

	constructor(status: number, code: number, message: string, errors?: ErrorTree) {
		super(message);
		this.status = status;
		this.code = code;
		this.errors = errors;
	}

	/** The JSON body Discord sends for this error. */
	toJSON(): { code: number; message: string; errors?: ErrorTree } {
		return this.errors ? { code: this.code, message: this.message, errors: this.errors } : { code: this.code, message: this.message };
	}
}

/** Factories for the errors the emulator produces, so every handler words them like Discord does. */
export const Errors = {
	notFound: () => new RestError(404, DiscordErrorCode.General, '404: Not Found'),
	unauthorized: () => new RestError(401, DiscordErrorCode.General, '401: Unauthorized'),
	methodNotAllowed: () => new RestError(405, DiscordErrorCode.General, '405: Method Not Allowed'),
	unknownChannel: () => new RestError(404, DiscordErrorCode.UnknownChannel, 'Unknown Channel'),
	unknownGuild: () => new RestError(404, DiscordErrorCode.UnknownGuild, 'Unknown Guild'),
	unknownMember: () => new RestError(404, DiscordErrorCode.UnknownMember, 'Unknown Member'),
	unknownMessage: () => new RestError(404, DiscordErrorCode.UnknownMessage, 'Unknown Message'),
	unknownRole: () => new RestError(404, DiscordErrorCode.UnknownRole, 'Unknown Role'),
	unknownUser: () => new RestError(404, DiscordErrorCode.UnknownUser, 'Unknown User'),
	unknownApplication: () => new RestError(404, DiscordErrorCode.UnknownApplication, 'Unknown Application'),
	unknownWebhook: () => new RestError(404, DiscordErrorCode.UnknownWebhook, 'Unknown Webhook'),
	invalidWebhookToken: () => new RestError(401, DiscordErrorCode.InvalidWebhookToken, 'Invalid Webhook Token'),
	unknownInteraction: () => new RestError(404, DiscordErrorCode.UnknownInteraction, 'Unknown interaction'),
	unknownCommand: () => new RestError(404, DiscordErrorCode.UnknownApplicationCommand, 'Unknown application command'),
	alreadyAcknowledged: () =>
		new RestError(400, DiscordErrorCode.InteractionAlreadyAcknowledged, 'Interaction has already been acknowledged.'),
	missingAccess: () => new RestError(403, DiscordErrorCode.MissingAccess, 'Missing Access'),
	missingPermissions: () => new RestError(403, DiscordErrorCode.MissingPermissions, 'Missing Permissions'),
	emptyMessage: () => new RestError(400, DiscordErrorCode.CannotSendEmptyMessage, 'Cannot send an empty message'),
	cannotEditOthers: () =>
		new RestError(403, DiscordErrorCode.CannotEditOtherUsersMessage, 'Cannot edit a message authored by another user'),
	invalidJson: () => new RestError(400, DiscordErrorCode.InvalidJson, 'The request body contains invalid JSON.'),
	invalidFormBody: (errors: ErrorTree) => new RestError(400, DiscordErrorCode.InvalidFormBody, 'Invalid Form Body', errors)
};

/**
 * Collects form-body errors at nested paths and turns them into Discord's error tree,
 * so validators can report every problem of a body at once, like Discord does.
 */
export class FormErrors {
	readonly #tree: ErrorTree = {};
	#count = 0;

	/** Records an error at `path` (e.g. `['options', 0, 'name']`). */
	add(path: ReadonlyArray<string | number>, code: string, message: string): void {
		let node = this.#tree;
		for (const segment of path) {
			const key = String(segment);
			const next = node[key];
			if (next === undefined || Array.isArray(next)) {
				const created: ErrorTree = {};
				node[key] = created;
				node = created;
			} else {
				node = next;
			}
		}
		const list = node._errors;
		// Two checks may find the same fault (the schema and a limit): Discord names it once.
		if (Array.isArray(list) && list.some((e) => e.code === code && e.message === message)) return;
		if (Array.isArray(list)) list.push({ code, message });
		else node._errors = [{ code, message }];
		this.#count++;
	}

	/** True when no error was recorded. */
	get empty(): boolean {
		return this.#count === 0;
	}

	/** Throws a 50035 Invalid Form Body if any error was recorded. */
	throwIfAny(): void {
		if (this.#count > 0) throw Errors.invalidFormBody(this.#tree);
	}
}

/** A bad control-API request: answered as 400 `{error}` over HTTP, thrown as is by the programmatic API. */
export class ControlError extends Error {
	readonly status: number;

	constructor(message: string, status = 400) {
		super(message);
		this.name = 'ControlError';
		this.status = status;
	}
}
