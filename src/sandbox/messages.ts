import { MessageFlags } from 'discord-api-types/v10';
import { Errors, FormErrors } from './errors.ts';
import type { UploadedFile } from './http.ts';
import type { AllowedMentions } from './mentions.ts';
import { readAllowedMentions, resolveMentions } from './mentions.ts';
import type { MessageRecord, SandboxState } from './state.ts';

/** A message body after validation: what create and edit apply. */
export interface MessageInput {
	content?: string;
	embeds?: unknown[];
	components?: unknown[];
	flags?: number;
	tts?: boolean;
	nonce?: string | number;
	/** Return the author's recent message with the same nonce in this channel instead of creating one. */
	enforceNonce?: boolean;
	attachments?: Array<{ id: string; filename: string; size: number; contentType?: string }>;
	/** Who the content may ping; absent: everything it mentions. */
	allowedMentions?: AllowedMentions;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Flags a bot may set on a message; EPHEMERAL only counts for interaction responses. */
const SETTABLE_FLAGS =
	MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications | MessageFlags.Ephemeral | MessageFlags.IsComponentsV2;

function checkLength(errors: FormErrors, path: Array<string | number>, value: unknown, max: number, required: boolean): void {
	if (value === undefined || value === null) {
		if (required) errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
		return;
	}
	if (typeof value !== 'string') {
		errors.add(path, 'STRING_TYPE_CONVERT', 'Could not interpret value as string.');
		return;
	}
	if (required && value.length === 0) errors.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${max} in length.`);
	else if (value.length > max) errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
}

/** Validates and normalises embeds the way Discord stores them (`type: 'rich'`, fields with `inline`). */
function normaliseEmbeds(errors: FormErrors, value: unknown): unknown[] {
	if (!Array.isArray(value)) {
		errors.add(['embeds'], 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
		return [];
	}
	if (value.length > 10) errors.add(['embeds'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
	return value.map((embed, i) => {
		const path = ['embeds', i];
		if (!isObject(embed)) {
			errors.add(path, 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
			return {};
		}
		checkLength(errors, [...path, 'title'], embed.title, 256, false);
		checkLength(errors, [...path, 'description'], embed.description, 4096, false);
		const out: Record<string, unknown> = { ...embed, type: typeof embed.type === 'string' ? embed.type : 'rich' };
		for (const key of Object.keys(out)) if (out[key] === undefined || out[key] === null) delete out[key];
		if (embed.fields !== undefined) {
			if (!Array.isArray(embed.fields)) errors.add([...path, 'fields'], 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
			else {
				if (embed.fields.length > 25) errors.add([...path, 'fields'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
				out.fields = embed.fields.map((field: unknown, j: number) => {
					const f = isObject(field) ? field : {};
					checkLength(errors, [...path, 'fields', j, 'name'], f.name, 256, true);
					checkLength(errors, [...path, 'fields', j, 'value'], f.value, 1024, true);
					return { name: f.name, value: f.value, inline: f.inline === true };
				});
			}
		}
		if (isObject(embed.footer)) checkLength(errors, [...path, 'footer', 'text'], embed.footer.text, 2048, true);
		if (isObject(embed.author)) checkLength(errors, [...path, 'author', 'name'], embed.author.name, 256, true);
		if (
			embed.color !== undefined &&
			embed.color !== null &&
			(!Number.isInteger(embed.color) || (embed.color as number) < 0 || (embed.color as number) > 0xffffff)
		) {
			errors.add([...path, 'color'], 'NUMBER_TYPE_MAX', 'int value should be <= 16777215 and >= 0.');
		}
		return out;
	});
}

/**
 * Validates components and gives each one the numeric `id` Discord assigns
 * (responses require it), filling select defaults the way Discord echoes them.
 */
function normaliseComponents(errors: FormErrors, value: unknown, flags: number): unknown[] {
	if (!Array.isArray(value)) {
		errors.add(['components'], 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
		return [];
	}
	const max = (flags & MessageFlags.IsComponentsV2) !== 0 ? 40 : 5;
	if (value.length > max) errors.add(['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
	let nextId = 1;
	const walk = (component: unknown, path: Array<string | number>): unknown => {
		if (!isObject(component) || !Number.isInteger(component.type)) {
			errors.add([...path, 'type'], 'BASE_TYPE_REQUIRED', 'This field is required');
			return {};
		}
		const out: Record<string, unknown> = { ...component, id: Number.isInteger(component.id) ? component.id : nextId++ };
		const type = component.type as number;
		if (type >= 3 && type <= 8 && type !== 4) {
			out.min_values = component.min_values ?? 1;
			out.max_values = component.max_values ?? 1;
			if (type === 3 && !Array.isArray(component.options)) errors.add([...path, 'options'], 'BASE_TYPE_REQUIRED', 'This field is required');
		}
		if (type !== 5 && type !== 2 && 'custom_id' in component) checkLength(errors, [...path, 'custom_id'], component.custom_id, 100, true);
		if (type === 2 && component.style !== 5 && component.style !== 6)
			checkLength(errors, [...path, 'custom_id'], component.custom_id, 100, true);
		if (Array.isArray(component.components))
			out.components = component.components.map((child, i) => walk(child, [...path, 'components', i]));
		else if (type === 1) errors.add([...path, 'components'], 'BASE_TYPE_REQUIRED', 'This field is required');
		return out;
	};
	return value.map((row, i) => walk(row, ['components', i]));
}

/**
 * Validates a message create/edit body (50035 with Discord's error tree on bad input).
 * `partial` is for edits, where absent fields are left alone and null clears.
 */
export function parseMessageInput(state: SandboxState, json: unknown, files: UploadedFile[], partial: boolean): MessageInput {
	if (!isObject(json)) {
		if (json === undefined && files.length > 0 && !partial) return { attachments: attachFiles(state, files, undefined) };
		throw Errors.invalidFormBody({ _errors: [{ code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' }] });
	}
	const errors = new FormErrors();
	const input: MessageInput = {};
	if (json.flags !== undefined && json.flags !== null) {
		if (!Number.isInteger(json.flags) || ((json.flags as number) & ~SETTABLE_FLAGS) !== 0) {
			errors.add(['flags'], 'MESSAGE_FLAGS_INVALID', 'Invalid flags');
		} else input.flags = json.flags as number;
	}
	if (json.content !== undefined) {
		if (json.content === null) input.content = '';
		else {
			checkLength(errors, ['content'], json.content, 2000, false);
			if (typeof json.content === 'string') input.content = json.content;
		}
	}
	if (json.embeds !== undefined) input.embeds = json.embeds === null ? [] : normaliseEmbeds(errors, json.embeds);
	if (json.components !== undefined)
		input.components = json.components === null ? [] : normaliseComponents(errors, json.components, input.flags ?? 0);
	if (json.tts !== undefined) input.tts = json.tts === true;
	if (json.nonce !== undefined && json.nonce !== null) {
		// Discord: a string of at most 25 characters or an integer (int64); anything else is refused.
		if (typeof json.nonce === 'string') {
			if (json.nonce.length > 25) errors.add(['nonce'], 'NONCE_TYPE_TOO_LONG', 'Must be 25 or fewer characters long.');
			else input.nonce = json.nonce;
		} else if (typeof json.nonce === 'number' && Number.isInteger(json.nonce) && Math.abs(json.nonce) <= 2 ** 63) {
			input.nonce = json.nonce;
		} else errors.add(['nonce'], 'NONCE_TYPE_INVALID_TYPE', 'This field must be a string or integer.');
	}
	if (json.enforce_nonce !== undefined && json.enforce_nonce !== null) {
		if (typeof json.enforce_nonce !== 'boolean') errors.add(['enforce_nonce'], 'BOOLEAN_TYPE_CONVERT', 'Must be either true or false.');
		else input.enforceNonce = json.enforce_nonce;
	}
	const allowedMentions = readAllowedMentions(json.allowed_mentions);
	if (allowedMentions) input.allowedMentions = allowedMentions;
	if (files.length > 0 || json.attachments !== undefined) input.attachments = attachFiles(state, files, json.attachments);
	errors.throwIfAny();
	if (!partial) {
		const empty = !input.content && !input.embeds?.length && !input.components?.length && !input.attachments?.length;
		if (empty) throw Errors.emptyMessage();
	}
	return input;
}

/** Attachment records for uploaded files, keeping `filename`/`description` overrides from the `attachments` field. */
function attachFiles(state: SandboxState, files: UploadedFile[], declared: unknown): MessageInput['attachments'] {
	const meta = Array.isArray(declared) ? declared.filter(isObject) : [];
	return files.map((file, i) => {
		const index = /files\[(\d+)\]/.exec(file.field)?.[1];
		const info = meta.find((m) => String(m.id) === index) ?? meta[i];
		const filename = typeof info?.filename === 'string' ? info.filename : file.filename;
		return { id: state.ids.next(), filename, size: file.size, ...(file.contentType ? { contentType: file.contentType } : {}) };
	});
}

/** User and role ids mentioned in content (`<@id>`, `<@!id>`, `<@&id>`) and whether it pings everyone. */
export function parseMentions(state: SandboxState, content: string): { users: string[]; roles: string[]; everyone: boolean } {
	const users = new Set<string>();
	const roles = new Set<string>();
	for (const match of content.matchAll(/<@(!|&)?(\d{17,20})>/g)) {
		const id = match[2] ?? '';
		if (match[1] === '&') roles.add(id);
		else if (state.users.has(id)) users.add(id);
	}
	return { users: [...users], roles: [...roles], everyone: /@(everyone|here)\b/.test(content) };
}

/** A new message record from validated input. */
export function buildMessage(
	state: SandboxState,
	fields: { channelId: string; guildId: string | null; authorId: string; type?: number; ephemeral?: boolean },
	input: MessageInput
): MessageRecord {
	const content = input.content ?? '';
	const mentions = resolveMentions(state, fields, parseMentions(state, content), input.allowedMentions);
	return {
		id: state.ids.next(),
		channelId: fields.channelId,
		guildId: fields.guildId,
		authorId: fields.authorId,
		content,
		embeds: input.embeds ?? [],
		components: input.components ?? [],
		attachments: input.attachments ?? [],
		flags: input.flags ?? 0,
		type: fields.type ?? 0,
		tts: input.tts ?? false,
		timestamp: new Date().toISOString(),
		editedTimestamp: null,
		mentionUserIds: mentions.users,
		mentionRoleIds: mentions.roles,
		mentionEveryone: mentions.everyone,
		pinned: false,
		reactions: new Map(),
		ephemeral: fields.ephemeral ?? false,
		...(input.nonce !== undefined ? { nonce: input.nonce } : {})
	};
}

/** Applies an edit to a message in place; returns it. */
export function applyEdit(state: SandboxState, message: MessageRecord, input: MessageInput): MessageRecord {
	if (input.content !== undefined) {
		message.content = input.content;
		const mentions = resolveMentions(state, message, parseMentions(state, input.content), input.allowedMentions);
		message.mentionUserIds = mentions.users;
		message.mentionRoleIds = mentions.roles;
		message.mentionEveryone = mentions.everyone;
	}
	if (input.embeds !== undefined) message.embeds = input.embeds;
	if (input.components !== undefined) message.components = input.components;
	if (input.attachments !== undefined) message.attachments = input.attachments;
	if (input.flags !== undefined) {
		// Ephemeral and loading state are not the bot's to change on edit; keep them.
		const sticky = message.flags & (MessageFlags.Ephemeral | MessageFlags.Loading);
		message.flags = (input.flags & ~(MessageFlags.Ephemeral | MessageFlags.Loading)) | sticky;
	}
	message.editedTimestamp = new Date().toISOString();
	return message;
}
