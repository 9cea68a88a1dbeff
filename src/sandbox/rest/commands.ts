import { ApplicationCommandOptionType, ApplicationCommandType } from 'discord-api-types/v10';
import { Errors, FormErrors } from '../errors.ts';
import type { CommandOption, CommandRecord, SandboxState } from '../state.ts';

/** Discord's rule for chat-input command and option names. */
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

type CommandFields = Omit<CommandRecord, 'id' | 'guildId' | 'version'>;

function checkName(errors: FormErrors, path: Array<string | number>, name: unknown, chatInput: boolean): void {
	if (typeof name !== 'string') {
		errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
		return;
	}
	if (name.length < 1 || name.length > 32) {
		errors.add(path, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
		return;
	}
	if (chatInput && (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase())) {
		errors.add(path, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
	}
}

function checkDescription(errors: FormErrors, path: Array<string | number>, description: unknown): void {
	if (typeof description !== 'string') errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
	else if (description.length < 1 || description.length > 100)
		errors.add(path, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
}

function localizations(value: unknown): Record<string, string> | null {
	return isObject(value)
		? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>)
		: null;
}

/** Validates a list of options at one nesting level (`depth` 0 = command, 1 = group, 2 = subcommand). */
function parseOptions(errors: FormErrors, path: Array<string | number>, value: unknown, depth: number): CommandOption[] {
	if (value === undefined || value === null) return [];
	if (!Array.isArray(value)) {
		errors.add(path, 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType');
		return [];
	}
	if (value.length > 25) errors.add(path, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
	const seen = new Set<string>();
	let optionalSeen = false;
	const out: CommandOption[] = [];
	value.forEach((raw, i) => {
		const at = [...path, i];
		if (!isObject(raw)) {
			errors.add(at, 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
			return;
		}
		const type = raw.type;
		if (typeof type !== 'number' || !Number.isInteger(type) || type < 1 || type > 11) {
			errors.add([...at, 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.');
			return;
		}
		checkName(errors, [...at, 'name'], raw.name, true);
		checkDescription(errors, [...at, 'description'], raw.description);
		if (typeof raw.name === 'string') {
			if (seen.has(raw.name)) errors.add([...at, 'name'], 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS', 'Option name already exists');
			seen.add(raw.name);
		}
		const isSub = type === ApplicationCommandOptionType.Subcommand || type === ApplicationCommandOptionType.SubcommandGroup;
		// Groups only at the top, subcommands at the top or inside a group, values below subcommands.
		if (type === ApplicationCommandOptionType.SubcommandGroup && depth !== 0) {
			errors.add([...at, 'type'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommand groups can only be nested at the top level');
		}
		if (type === ApplicationCommandOptionType.Subcommand && depth > 1) {
			errors.add([...at, 'type'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommands can only be nested in a group');
		}
		const required = raw.required === true;
		if (!isSub) {
			if (required && optionalSeen) {
				errors.add(
					[...at, 'required'],
					'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
					'Required options must be placed before non-required options'
				);
			}
			if (!required) optionalSeen = true;
		}
		const option: CommandOption = {
			type,
			name: String(raw.name),
			description: String(raw.description),
			...(required && !isSub ? { required: true } : {}),
			...(raw.name_localizations !== undefined ? { name_localizations: localizations(raw.name_localizations) } : {}),
			...(raw.description_localizations !== undefined ? { description_localizations: localizations(raw.description_localizations) } : {})
		};
		if (isSub) {
			const nested = parseOptions(errors, [...at, 'options'], raw.options, type === ApplicationCommandOptionType.SubcommandGroup ? 1 : 2);
			if (type === ApplicationCommandOptionType.SubcommandGroup && nested.some((o) => o.type !== ApplicationCommandOptionType.Subcommand)) {
				errors.add([...at, 'options'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommand groups may only contain subcommands');
			}
			if (type === ApplicationCommandOptionType.Subcommand && nested.some((o) => o.type <= 2)) {
				errors.add([...at, 'options'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Subcommands cannot contain subcommands');
			}
			option.options = nested;
		} else if (raw.options !== undefined && raw.options !== null) {
			errors.add([...at, 'options'], 'APPLICATION_COMMAND_OPTION_TYPE_INVALID', 'Only subcommands and groups may have options');
		}
		const choosable =
			type === ApplicationCommandOptionType.String ||
			type === ApplicationCommandOptionType.Integer ||
			type === ApplicationCommandOptionType.Number;
		if (Array.isArray(raw.choices) && raw.choices.length > 0) {
			if (!choosable)
				errors.add(
					[...at, 'choices'],
					'APPLICATION_COMMAND_OPTION_CHOICES_INVALID',
					'Choices are only allowed on string, integer and number options'
				);
			if (raw.choices.length > 25) errors.add([...at, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
			if (raw.autocomplete === true)
				errors.add([...at, 'autocomplete'], 'APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES', 'Autocomplete cannot be used with choices');
			option.choices = raw.choices.map((choice: unknown, j: number) => {
				const c = isObject(choice) ? choice : {};
				if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 100) {
					errors.add([...at, 'choices', j, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
				}
				const valueOk = type === ApplicationCommandOptionType.String ? typeof c.value === 'string' : typeof c.value === 'number';
				if (!valueOk) errors.add([...at, 'choices', j, 'value'], 'BASE_TYPE_REQUIRED', 'Value does not match the option type');
				return {
					name: String(c.name),
					value: c.value as string | number,
					...(c.name_localizations !== undefined ? { name_localizations: localizations(c.name_localizations) } : {})
				};
			});
		}
		if (raw.autocomplete === true) {
			if (!choosable)
				errors.add(
					[...at, 'autocomplete'],
					'APPLICATION_COMMAND_OPTION_TYPE_INVALID',
					'Autocomplete is only allowed on string, integer and number options'
				);
			option.autocomplete = true;
		}
		if (Array.isArray(raw.channel_types)) option.channel_types = raw.channel_types.filter((t): t is number => Number.isInteger(t));
		for (const key of ['min_value', 'max_value'] as const) if (typeof raw[key] === 'number') option[key] = raw[key];
		for (const key of ['min_length', 'max_length'] as const) {
			const n = raw[key];
			if (n === undefined || n === null) continue;
			if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 6000)
				errors.add([...at, key], 'NUMBER_TYPE_MAX', 'int value should be <= 6000 and >= 0.');
			else option[key] = n;
		}
		out.push(option);
	});
	return out;
}

/**
 * Validates a full command body (POST, bulk PUT), answering 50035 with every problem found.
 * With a shared `errors` collector (bulk overwrite) the caller throws once for all commands.
 */
export function parseCommand(json: unknown, shared?: FormErrors, path: Array<string | number> = []): CommandFields {
	const errors = shared ?? new FormErrors();
	if (!isObject(json)) {
		errors.add(path, 'DICT_TYPE_CONVERT', 'Only dictionaries may be used in a DictType');
		errors.throwIfAny();
		throw Errors.invalidFormBody({});
	}
	const type = json.type ?? ApplicationCommandType.ChatInput;
	if (type !== ApplicationCommandType.ChatInput && type !== ApplicationCommandType.User && type !== ApplicationCommandType.Message) {
		errors.add([...path, 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3}.');
	}
	const chatInput = type === ApplicationCommandType.ChatInput;
	checkName(errors, [...path, 'name'], json.name, chatInput);
	if (chatInput) checkDescription(errors, [...path, 'description'], json.description);
	else if (json.description !== undefined && json.description !== '') {
		errors.add([...path, 'description'], 'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION', 'Context menu commands cannot have a description');
	}
	const options = chatInput ? parseOptions(errors, [...path, 'options'], json.options, 0) : [];
	const dmp = json.default_member_permissions;
	if (dmp !== undefined && dmp !== null && (typeof dmp !== 'string' || !/^\d{1,20}$/.test(dmp))) {
		errors.add([...path, 'default_member_permissions'], 'BASE_TYPE_BAD_INT', 'Value is not a valid permission set.');
	}
	const contexts = Array.isArray(json.contexts) ? json.contexts.filter((c): c is number => c === 0 || c === 1 || c === 2) : null;
	// Echo integration types only when given: Sapphire treats a returned `[0]` it did not send as a change and PATCHes on every start.
	const integrationTypes = Array.isArray(json.integration_types)
		? json.integration_types.filter((c): c is number => c === 0 || c === 1)
		: null;
	if (!shared) errors.throwIfAny();
	return {
		type: type as number,
		name: String(json.name),
		description: chatInput ? String(json.description) : '',
		options,
		defaultMemberPermissions: typeof dmp === 'string' ? dmp : null,
		dmPermission: json.dm_permission !== false,
		nsfw: json.nsfw === true,
		contexts,
		integrationTypes,
		nameLocalizations: localizations(json.name_localizations),
		descriptionLocalizations: localizations(json.description_localizations)
	};
}

/** Creates or (same name and type in the same scope) updates a command, like Discord's POST upsert. */
export function upsertCommand(
	state: SandboxState,
	guildId: string | null,
	fields: CommandFields
): { command: CommandRecord; created: boolean } {
	const existing = state.commandsOf(guildId).find((c) => c.name === fields.name && c.type === fields.type);
	if (existing) {
		Object.assign(existing, fields, { version: state.ids.next() });
		return { command: existing, created: false };
	}
	const command: CommandRecord = { ...fields, id: state.ids.next(), guildId, version: state.ids.next() };
	state.commands.set(command.id, command);
	return { command, created: true };
}

/** Bulk overwrite: validates every command first, then replaces the scope, keeping ids of commands that stay. */
export function overwriteCommands(state: SandboxState, guildId: string | null, json: unknown): CommandRecord[] {
	if (!Array.isArray(json))
		throw Errors.invalidFormBody({ _errors: [{ code: 'LIST_TYPE_CONVERT', message: 'Only iterables may be used in a ListType' }] });
	const errors = new FormErrors();
	if (json.length > 200) errors.add([], 'BASE_TYPE_MAX_LENGTH', 'Must be 200 or fewer in length.');
	const parsed = json.map((body, i) => parseCommand(body, errors, [i]));
	const keys = new Set<string>();
	parsed.forEach((fields, i) => {
		const key = `${fields.type}:${fields.name}`;
		if (keys.has(key)) errors.add([i, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Application command names must be unique`);
		keys.add(key);
	});
	errors.throwIfAny();
	const previous = state.commandsOf(guildId);
	for (const command of previous) state.commands.delete(command.id);
	return parsed.map((fields) => {
		const kept = previous.find((c) => c.name === fields.name && c.type === fields.type);
		const command: CommandRecord = { ...fields, id: kept?.id ?? state.ids.next(), guildId, version: state.ids.next() };
		state.commands.set(command.id, command);
		return command;
	});
}

/** Applies a PATCH: only given fields change, then the result is validated as a whole. */
export function patchCommand(state: SandboxState, command: CommandRecord, json: unknown): CommandRecord {
	if (!isObject(json))
		throw Errors.invalidFormBody({ _errors: [{ code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' }] });
	const current: Record<string, unknown> = {
		type: command.type,
		name: command.name,
		description: command.description,
		options: command.options,
		default_member_permissions: command.defaultMemberPermissions,
		dm_permission: command.dmPermission,
		nsfw: command.nsfw,
		contexts: command.contexts,
		integration_types: command.integrationTypes,
		name_localizations: command.nameLocalizations,
		description_localizations: command.descriptionLocalizations
	};
	const { type: _ignoredType, ...changes } = json;
	const fields = parseCommand({ ...current, ...changes });
	const clash = state.commandsOf(command.guildId).find((c) => c !== command && c.name === fields.name && c.type === fields.type);
	if (clash)
		throw Errors.invalidFormBody({
			name: { _errors: [{ code: 'APPLICATION_COMMANDS_DUPLICATE_NAME', message: 'Application command names must be unique' }] }
		});
	Object.assign(command, fields, { version: state.ids.next() });
	return command;
}
