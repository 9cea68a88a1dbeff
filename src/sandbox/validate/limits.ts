import { ApplicationCommandOptionType, ApplicationCommandType, ComponentType, InteractionResponseType } from 'discord-api-types/v10';
import type { FormErrors } from '../errors.ts';
import { RestError } from '../errors.ts';
import type { UploadedFile } from '../http.ts';

/*
 * Limits Discord enforces beyond what its published schemas say: cross-field rules (embed size across a
 * message, custom_id uniqueness, select value counts, command size) and the few places where the spec is
 * looser than Discord is for bots (content 2000, not 4000; autocomplete string values 100, not 6000).
 * Numbers from https://discord.com/developers/docs (Embed Limits, Component Reference, Application Commands).
 */

type Path = Array<string | number>;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Characters of all embeds of one message together (title, description, field names/values, footer text, author name). */
export const MAX_EMBED_TOTAL = 6000;
/** Largest file a bot may upload without boosts (Discord lowered it to 10 MiB in 2024). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Chat-input commands per scope (global, or one guild); user and message commands: 15 each. */
export const MAX_COMMANDS: Record<number, number> = {
	[ApplicationCommandType.ChatInput]: 100,
	[ApplicationCommandType.User]: 15,
	[ApplicationCommandType.Message]: 15
};
/** Characters of one command: name, description and every option's name, description and choices, recursively. */
export const MAX_COMMAND_SIZE = 8000;
/** Command creates per guild per day. */
export const MAX_DAILY_COMMAND_CREATES = 200;

const shown = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const text = (value: unknown): number => (typeof value === 'string' ? value.length : 0);

/** Characters of one embed as Discord counts them towards the 6,000 limit. */
export function embedSize(embed: Record<string, unknown>): number {
	let size = text(embed.title) + text(embed.description);
	if (Array.isArray(embed.fields)) for (const f of embed.fields) if (isObject(f)) size += text(f.name) + text(f.value);
	if (isObject(embed.footer)) size += text(embed.footer.text);
	if (isObject(embed.author)) size += text(embed.author.name);
	return size;
}

function checkUrl(errors: FormErrors, path: Path, value: unknown, attachment: boolean): void {
	if (typeof value !== 'string') return;
	const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
	const allowed = attachment ? ['http', 'https', 'attachment'] : ['http', 'https'];
	if (scheme === undefined) errors.add(path, 'URL_TYPE_INVALID_URL', 'Not a well formed URL.');
	else if (!allowed.includes(scheme))
		errors.add(
			path,
			'URL_TYPE_INVALID_SCHEME',
			`Scheme "${scheme}" is not supported. Scheme must be one of (${allowed.map((s) => `'${s}'`).join(', ')}).`
		);
}

function checkEmbeds(errors: FormErrors, path: Path, embeds: unknown): void {
	if (!Array.isArray(embeds)) return;
	let total = 0;
	embeds.forEach((embed, i) => {
		if (!isObject(embed)) return;
		total += embedSize(embed);
		const at = [...path, i];
		checkUrl(errors, [...at, 'url'], embed.url, false);
		if (isObject(embed.author)) {
			checkUrl(errors, [...at, 'author', 'url'], embed.author.url, false);
			checkUrl(errors, [...at, 'author', 'icon_url'], embed.author.icon_url, true);
		}
		if (isObject(embed.footer)) checkUrl(errors, [...at, 'footer', 'icon_url'], embed.footer.icon_url, true);
		for (const media of ['image', 'thumbnail'] as const) {
			const value = embed[media];
			if (isObject(value)) checkUrl(errors, [...at, media, 'url'], value.url, true);
		}
	});
	if (total > MAX_EMBED_TOTAL) errors.add(path, 'MAX_EMBED_SIZE_EXCEEDED', `Embed size exceeds maximum size of ${MAX_EMBED_TOTAL}`);
}

const SELECTS = new Set<number>([
	ComponentType.StringSelect,
	ComponentType.UserSelect,
	ComponentType.RoleSelect,
	ComponentType.MentionableSelect,
	ComponentType.ChannelSelect
]);

function checkComponents(errors: FormErrors, path: Path, components: unknown): void {
	if (!Array.isArray(components)) return;
	const ids = new Map<string, Path>();
	const walk = (component: unknown, at: Path): void => {
		if (!isObject(component)) return;
		const type = component.type as number;
		if (typeof component.custom_id === 'string') {
			if (ids.has(component.custom_id))
				errors.add([...at, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
			ids.set(component.custom_id, at);
		}
		// (More than five children is the schema's length error already.)
		if (type === ComponentType.ActionRow && Array.isArray(component.components) && component.components.length <= 5) {
			// A row holds up to five buttons or exactly one select: each select takes the whole width.
			const width = component.components.reduce<number>(
				(sum, child) => sum + (isObject(child) && SELECTS.has(child.type as number) ? 5 : 1),
				0
			);
			if (width > 5)
				errors.add([...at, 'components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', 'The specified component exceeds the maximum width');
		}
		if (SELECTS.has(type)) {
			const min = typeof component.min_values === 'number' ? component.min_values : 1;
			const max = typeof component.max_values === 'number' ? component.max_values : 1;
			if (min > max)
				errors.add([...at, 'min_values'], 'SELECT_COMPONENT_MIN_VALUES_INVALID', 'min_values must be less than or equal to max_values');
			if (type === ComponentType.StringSelect && Array.isArray(component.options)) {
				if (max > component.options.length)
					errors.add(
						[...at, 'max_values'],
						'SELECT_COMPONENT_MAX_VALUES_INVALID',
						`max_values must be less than or equal to the number of options (${component.options.length})`
					);
				const values = new Set<unknown>();
				component.options.forEach((option: unknown, j: number) => {
					if (!isObject(option)) return;
					if (values.has(option.value))
						errors.add([...at, 'options', j, 'value'], 'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED', 'Option values must be unique');
					values.add(option.value);
				});
			}
		}
		if (Array.isArray(component.components))
			component.components.forEach((child, i) => {
				walk(child, [...at, 'components', i]);
			});
		if (isObject(component.accessory)) walk(component.accessory, [...at, 'accessory']);
	};
	components.forEach((row, i) => {
		walk(row, [...path, i]);
	});
}

function checkAllowedMentions(errors: FormErrors, path: Path, value: unknown): void {
	if (!isObject(value) || !Array.isArray(value.parse)) return;
	// Discord refuses a type both parsed and listed (`parse: ['users']` with `users: [...]`).
	for (const kind of ['users', 'roles'] as const) {
		if (value.parse.includes(kind) && Array.isArray(value[kind]) && value[kind].length > 0)
			errors.add(
				[...path, 'parse'],
				'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
				`parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`
			);
	}
}

/** Limits of a message body (create, edit, webhook, interaction response data) found at `path`. */
export function checkMessageLimits(errors: FormErrors, path: Path, body: unknown): void {
	if (!isObject(body)) return;
	// The spec allows 4000 (what Nitro users may send); bots are held to 2000.
	if (typeof body.content === 'string' && body.content.length > 2000)
		errors.add([...path, 'content'], 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
	checkEmbeds(errors, [...path, 'embeds'], body.embeds);
	checkComponents(errors, [...path, 'components'], body.components);
	checkAllowedMentions(errors, [...path, 'allowed_mentions'], body.allowed_mentions);
}

/** Uploads over the bot limit: 413 / 40005, as Discord answers. */
export function checkUploads(files: readonly UploadedFile[]): void {
	if (files.some((file) => file.size > MAX_UPLOAD_BYTES)) throw new RestError(413, 40005, 'Request entity too large');
}

/** Characters of a command body as Discord counts them towards the 8,000 limit (localizations: the longest). */
export function commandSize(command: Record<string, unknown>): number {
	const longest = (base: unknown, localized: unknown): number =>
		Math.max(text(base), ...(isObject(localized) ? Object.values(localized).map(text) : []));
	const option = (o: unknown): number => {
		if (!isObject(o)) return 0;
		let size = longest(o.name, o.name_localizations) + longest(o.description, o.description_localizations);
		if (Array.isArray(o.choices))
			for (const c of o.choices)
				if (isObject(c)) size += longest(c.name, c.name_localizations) + (typeof c.value === 'string' ? c.value.length : 0);
		if (Array.isArray(o.options)) for (const child of o.options) size += option(child);
		return size;
	};
	return option(command);
}

/** The 8,000-character rule for one command body at `path`. */
export function checkCommandSize(errors: FormErrors, path: Path, command: unknown): void {
	if (isObject(command) && commandSize(command) > MAX_COMMAND_SIZE)
		errors.add(path, 'APPLICATION_COMMAND_TOO_LARGE', `Command exceeds maximum size (${MAX_COMMAND_SIZE})`);
}

/** Per-scope counts for a bulk overwrite: more than 100 chat-input (15 user, 15 message) commands is refused. */
export function checkCommandCounts(errors: FormErrors, commands: unknown): void {
	if (!Array.isArray(commands)) return;
	const counts = new Map<number, number>();
	for (const c of commands) {
		const type = isObject(c) && typeof c.type === 'number' ? c.type : ApplicationCommandType.ChatInput;
		counts.set(type, (counts.get(type) ?? 0) + 1);
	}
	for (const [type, count] of counts) {
		const max = MAX_COMMANDS[type];
		if (max !== undefined && count > max)
			errors.add([], 'APPLICATION_COMMANDS_TOO_MANY', `Maximum number of application commands of type ${type} reached (${max})`);
	}
}

/** Autocomplete choices: each value must have the focused option's type; string values at most 100 characters. */
export function checkAutocompleteChoices(errors: FormErrors, body: unknown, focusedType: number | undefined): void {
	if (!isObject(body) || body.type !== InteractionResponseType.ApplicationCommandAutocompleteResult || !isObject(body.data)) return;
	const choices = body.data.choices;
	if (!Array.isArray(choices) || focusedType === undefined) return;
	choices.forEach((choice, i) => {
		if (!isObject(choice)) return;
		const at = ['data', 'choices', i, 'value'];
		const value = choice.value;
		if (focusedType === ApplicationCommandOptionType.String) {
			if (typeof value !== 'string') errors.add(at, 'STRING_TYPE_CONVERT', `Could not interpret "${shown(value)}" as string.`);
			else if (value.length > 100) errors.add(at, 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
		} else if (focusedType === ApplicationCommandOptionType.Integer) {
			if (!Number.isInteger(value)) errors.add(at, 'NUMBER_TYPE_COERCE', `Value "${shown(value)}" is not int.`);
		} else if (focusedType === ApplicationCommandOptionType.Number && (typeof value !== 'number' || !Number.isFinite(value))) {
			errors.add(at, 'NUMBER_TYPE_COERCE', `Value "${shown(value)}" is not a valid number.`);
		}
	});
}
