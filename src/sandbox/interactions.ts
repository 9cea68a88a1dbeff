import { randomBytes } from 'node:crypto';
import {
	ApplicationCommandOptionType,
	ApplicationCommandType,
	ChannelType,
	ComponentType,
	InteractionResponseType,
	InteractionType,
	MessageFlags,
	MessageType
} from 'discord-api-types/v10';
import type { SandboxActions } from './actions.ts';
import { ControlError, Errors, FormErrors } from './errors.ts';
import type { UploadedFile } from './http.ts';
import { parseMessageInput } from './messages.ts';
import { channelPermissions, invocationRefusal, memberPermissions } from './permissions.ts';
import { toApiChannel, toApiInteractionMember, toApiMessage, toApiRole, toApiUser } from './serialize.ts';
import type { CommandOption, CommandRecord, GuildRecord, MessageRecord, SandboxState } from './state.ts';
import { checkAutocompleteChoices } from './validate/limits.ts';

/** The bot's answer as a person sees it; what the control API returns. */
export interface VisibleReply {
	content: string;
	embeds: unknown[];
	components: unknown[];
	ephemeral: boolean;
	message_id: string;
}

/** How an interaction ended from the user's point of view. */
export type InteractionOutcome =
	| { kind: 'message'; reply: VisibleReply }
	| { kind: 'choices'; choices: unknown[] }
	| { kind: 'modal'; modal: unknown };

/** An interaction the emulator sent to the bot, and what the bot did with it. */
export interface InteractionRecord {
	id: string;
	token: string;
	type: InteractionType;
	guildId: string;
	channelId: string;
	userId: string;
	/** Command name or component custom_id, for message metadata. */
	name: string;
	commandType: number;
	createdAt: number;
	callbackType: number | null;
	/** The message `@original` refers to once the interaction is acknowledged. */
	originalMessageId: string | null;
	/** For components: the message the component sits on. */
	sourceMessageId: string | null;
	/** Every message this interaction's token may read or edit. */
	messageIds: Set<string>;
	/** Autocomplete: the type of the focused option, which every choice value must have. */
	focusedType?: number;
	/** Deferred (type 5/6): the next edit of `@original` is the visible reply. */
	awaitingEdit: boolean;
	settled: boolean;
	resolve: (outcome: InteractionOutcome) => void;
	outcome: Promise<InteractionOutcome>;
}

/** Interaction tokens stay valid this long, as on Discord. */
export const TOKEN_TTL_MS = 15 * 60 * 1000;
/** An expired token is still told apart from an unknown one (50027 rather than 10015) for this long after it expired. */
const EXPIRED_TOKEN_MEMORY_MS = 60 * 60 * 1000;

/** Options of {@link InteractionStore}. */
export interface InteractionStoreOptions {
	/** The emulator's clock. @default Date.now */
	now?: () => number;
	/** How long the bot has to acknowledge an interaction (callback) before 10062. @default 3000 */
	ackTimeoutMs?: number;
}

/** How the bot kept the acknowledgement deadline, for `GET /_emulator/state`. */
export interface AckStats {
	/** Callbacks accepted within the deadline. */
	acknowledged: number;
	/** Callbacks that came after the deadline (answered 10062). */
	late: number;
	/** The slowest accepted callback, in milliseconds after INTERACTION_CREATE was built. */
	max_ack_ms: number;
}

/** Callback types Discord accepts for each interaction type. */
const ALLOWED_CALLBACKS: Record<number, number[]> = {
	[InteractionType.ApplicationCommand]: [
		InteractionResponseType.ChannelMessageWithSource,
		InteractionResponseType.DeferredChannelMessageWithSource,
		InteractionResponseType.Modal
	],
	[InteractionType.MessageComponent]: [
		InteractionResponseType.ChannelMessageWithSource,
		InteractionResponseType.DeferredChannelMessageWithSource,
		InteractionResponseType.DeferredMessageUpdate,
		InteractionResponseType.UpdateMessage,
		InteractionResponseType.Modal
	],
	[InteractionType.ApplicationCommandAutocomplete]: [InteractionResponseType.ApplicationCommandAutocompleteResult],
	[InteractionType.ModalSubmit]: [
		InteractionResponseType.ChannelMessageWithSource,
		InteractionResponseType.DeferredChannelMessageWithSource,
		InteractionResponseType.DeferredMessageUpdate,
		InteractionResponseType.UpdateMessage
	]
};

/** Pending and answered interactions, by id and by token. */
export class InteractionStore {
	readonly #byId = new Map<string, InteractionRecord>();
	readonly #byToken = new Map<string, InteractionRecord>();
	readonly #now: () => number;
	readonly #ackTimeoutMs: number;
	#ack: AckStats = { acknowledged: 0, late: 0, max_ack_ms: 0 };

	constructor(options: InteractionStoreOptions = {}) {
		this.#now = options.now ?? Date.now;
		this.#ackTimeoutMs = options.ackTimeoutMs ?? 3_000;
	}

	/** How the acknowledgement deadline was kept so far. */
	ackStats(): AckStats {
		return { ...this.#ack };
	}

	/** Records an accepted callback of `record` (called once its callback succeeded). */
	acknowledged(record: InteractionRecord): void {
		this.#ack.acknowledged++;
		this.#ack.max_ack_ms = Math.max(this.#ack.max_ack_ms, this.#now() - record.createdAt);
	}

	/** Registers a new interaction; its `outcome` settles when the bot's visible answer is known. */
	create(
		state: SandboxState,
		fields: Pick<InteractionRecord, 'type' | 'guildId' | 'channelId' | 'userId' | 'name' | 'commandType' | 'sourceMessageId'>
	): InteractionRecord {
		this.#prune();
		let resolve: (outcome: InteractionOutcome) => void = () => {};
		const outcome = new Promise<InteractionOutcome>((r) => {
			resolve = r;
		});
		const record: InteractionRecord = {
			...fields,
			id: state.ids.next(),
			token: `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`,
			createdAt: this.#now(),
			callbackType: null,
			originalMessageId: null,
			messageIds: new Set(),
			awaitingEdit: false,
			settled: false,
			resolve: (value) => {
				if (record.settled) return;
				record.settled = true;
				resolve(value);
			},
			outcome
		};
		this.#byId.set(record.id, record);
		this.#byToken.set(record.token, record);
		return record;
	}

	/**
	 * The interaction a callback targets, or 10062 Unknown interaction: for an unknown one, and for a first callback
	 * later than the acknowledgement deadline (3 s on Discord), which is counted as late.
	 */
	forCallback(id: string, token: string): InteractionRecord {
		const record = this.#byId.get(id);
		if (!record || record.token !== token) throw Errors.unknownInteraction();
		if (record.callbackType === null && this.#now() - record.createdAt > this.#ackTimeoutMs) {
			this.#ack.late++;
			throw Errors.unknownInteraction();
		}
		return record;
	}

	/**
	 * The interaction behind a webhook token: 10015 Unknown Webhook for a token the emulator never issued, 401
	 * 50027 Invalid Webhook Token once it is older than 15 minutes, as Discord answers follow-ups and edits then.
	 */
	forWebhook(token: string): InteractionRecord {
		const record = this.#byToken.get(token);
		if (!record) throw Errors.unknownWebhook();
		if (this.#now() - record.createdAt > TOKEN_TTL_MS) throw Errors.invalidWebhookToken();
		return record;
	}

	/** Tells deferred interactions that a message was edited through the channel route. */
	noticeEdit(message: MessageRecord, reply: VisibleReply): void {
		for (const record of this.#byId.values()) {
			if (record.awaitingEdit && record.originalMessageId === message.id) {
				record.awaitingEdit = false;
				record.resolve({ kind: 'message', reply });
			}
		}
	}

	/** Forgets every interaction. */
	clear(): void {
		this.#byId.clear();
		this.#byToken.clear();
		this.#ack = { acknowledged: 0, late: 0, max_ack_ms: 0 };
	}

	#prune(): void {
		const cutoff = this.#now() - TOKEN_TTL_MS - EXPIRED_TOKEN_MEMORY_MS;
		for (const record of this.#byId.values()) {
			if (record.createdAt >= cutoff) break; // insertion order = creation order
			this.#byId.delete(record.id);
			this.#byToken.delete(record.token);
		}
	}
}

/** The visible form of a message. */
export function visibleReply(message: MessageRecord): VisibleReply {
	return {
		content: message.content,
		embeds: message.embeds,
		components: message.components,
		ephemeral: (message.flags & MessageFlags.Ephemeral) !== 0,
		message_id: message.id
	};
}

/** Fields every INTERACTION_CREATE carries; discord.js throws without `entitlements` and `authorizing_integration_owners`. */
function basePayload(state: SandboxState, applicationId: string, guild: GuildRecord, record: InteractionRecord): Record<string, unknown> {
	const member = state.requireMember(guild, record.userId);
	const channel = state.requireChannel(record.channelId);
	const botPermissions = channelPermissions(guild, channel, state.botUserId).toString();
	return {
		id: record.id,
		application_id: applicationId,
		type: record.type,
		guild_id: guild.id,
		guild: { id: guild.id, locale: 'en-US', features: [] },
		channel: { ...toApiChannel(channel), permissions: channelPermissions(guild, channel, record.userId).toString() },
		channel_id: channel.id,
		member: toApiInteractionMember(state, guild, member, channel),
		token: record.token,
		version: 1,
		app_permissions: botPermissions,
		locale: 'en-US',
		guild_locale: 'en-US',
		entitlements: [],
		authorizing_integration_owners: { '0': guild.id },
		context: 0,
		attachment_size_limit: 10 * 1024 * 1024
	};
}

/** Control-API input for a slash command run. */
export interface CommandRunInput {
	guild_id: string;
	channel_id: string;
	user_id: string;
	command: string;
	options?: Record<string, unknown> | undefined;
	autocomplete?: string | undefined;
}

interface Resolved {
	users: Record<string, unknown>;
	members: Record<string, unknown>;
	roles: Record<string, unknown>;
	channels: Record<string, unknown>;
}

/**
 * Builds the INTERACTION_CREATE payload for a command typed by a person: finds the
 * command (guild first, then global), walks the subcommand path, checks and converts
 * options with their registered types and fills `resolved`. Throws {@link ControlError}
 * with a message a person can act on.
 */
export function buildCommandInteraction(
	state: SandboxState,
	store: InteractionStore,
	applicationId: string,
	input: CommandRunInput
): { record: InteractionRecord; payload: Record<string, unknown> } {
	const guild = state.guilds.get(input.guild_id);
	if (!guild) throw new ControlError(`unknown guild ${input.guild_id}`);
	const channel = guild.channels.get(input.channel_id);
	if (!channel) throw new ControlError(`channel ${input.channel_id} is not in guild ${guild.id}`);
	if (!guild.members.has(input.user_id)) throw new ControlError(`user ${input.user_id} is not a member of guild ${guild.id}`);

	const words = input.command.trim().split(/\s+/).filter(Boolean);
	const [name, ...path] = words;
	if (!name) throw new ControlError('command is empty');
	const candidates = state.commandsVisibleIn(guild.id).filter((c) => c.type === ApplicationCommandType.ChatInput && c.name === name);
	const command = candidates.find((c) => c.guildId === guild.id) ?? candidates.find((c) => c.guildId === null);
	if (!command) {
		const known = state.commandsVisibleIn(guild.id).map((c) => c.name);
		throw new ControlError(`unknown command "${name}" in guild ${guild.id} (registered: ${known.join(', ') || 'none'})`);
	}
	// Discord does not offer a command to a member without its permissions in that channel.
	const refusal = invocationRefusal(guild, channel, input.user_id, command, state.commandOverrides.get(`${guild.id}:${command.id}`));
	if (refusal) throw new ControlError(`Discord would not offer this command: ${refusal}`, 403);

	const resolved: Resolved = { users: {}, members: {}, roles: {}, channels: {} };
	const focused = input.autocomplete;
	const leafOptions = convertPath(state, guild, command, path, input.options ?? {}, resolved, focused);

	const record = store.create(state, {
		type: focused === undefined ? InteractionType.ApplicationCommand : InteractionType.ApplicationCommandAutocomplete,
		guildId: guild.id,
		channelId: channel.id,
		userId: input.user_id,
		name: [name, ...path].join(' '),
		commandType: command.type,
		sourceMessageId: null
	});
	const focusedType = focusedOptionType(leafOptions);
	if (focusedType !== undefined) record.focusedType = focusedType;
	const data: Record<string, unknown> = { id: command.id, name: command.name, type: command.type, options: leafOptions };
	if (command.guildId) data.guild_id = command.guildId;
	const hasResolved = Object.values(resolved).some((group) => Object.keys(group).length > 0);
	if (hasResolved) data.resolved = Object.fromEntries(Object.entries(resolved).filter(([, group]) => Object.keys(group).length > 0));
	return { record, payload: { ...basePayload(state, applicationId, guild, record), data } };
}

/** The type of the option marked `focused` in an interaction's option tree. */
function focusedOptionType(options: unknown): number | undefined {
	if (!Array.isArray(options)) return undefined;
	for (const option of options as Array<{ type?: number; focused?: boolean; options?: unknown }>) {
		if (option.focused === true) return option.type;
		const nested = focusedOptionType(option.options);
		if (nested !== undefined) return nested;
	}
	return undefined;
}

function convertPath(
	state: SandboxState,
	guild: GuildRecord,
	command: CommandRecord,
	path: string[],
	values: Record<string, unknown>,
	resolved: Resolved,
	focused: string | undefined
): unknown[] {
	let options = command.options;
	const nesting: Array<{ type: number; name: string }> = [];
	for (const word of path) {
		const sub = options.find(
			(o) =>
				o.name === word && (o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup)
		);
		if (!sub) {
			const choices = options.filter((o) => o.type === 1 || o.type === 2).map((o) => o.name);
			throw new ControlError(
				choices.length > 0
					? `"${word}" is not a subcommand of "${[command.name, ...nesting.map((n) => n.name)].join(' ')}" (choose one of: ${choices.join(', ')})`
					: `command "${command.name}" has no subcommands, but "${word}" was given`
			);
		}
		nesting.push({ type: sub.type, name: sub.name });
		options = sub.options ?? [];
	}
	const pending = options.filter(
		(o) => o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup
	);
	if (pending.length > 0) {
		throw new ControlError(`"${[command.name, ...path].join(' ')}" needs a subcommand: ${pending.map((o) => o.name).join(', ')}`);
	}
	let leaf = convertOptions(state, guild, options, values, resolved, focused);
	for (const level of nesting.reverse()) leaf = [{ type: level.type, name: level.name, options: leaf }];
	return leaf;
}

function convertOptions(
	state: SandboxState,
	guild: GuildRecord,
	defined: CommandOption[],
	values: Record<string, unknown>,
	resolved: Resolved,
	focused: string | undefined
): unknown[] {
	for (const key of Object.keys(values)) {
		if (!defined.some((o) => o.name === key)) {
			throw new ControlError(`unknown option "${key}" (options: ${defined.map((o) => o.name).join(', ') || 'none'})`);
		}
	}
	if (focused !== undefined) {
		const option = defined.find((o) => o.name === focused);
		if (!option) throw new ControlError(`unknown option "${focused}" to autocomplete`);
		if (!option.autocomplete) throw new ControlError(`option "${focused}" does not have autocomplete enabled`);
	}
	const out: unknown[] = [];
	for (const option of defined) {
		const value = values[option.name];
		if (option.name === focused) {
			// Autocomplete sends what was typed so far, unvalidated, as Discord does.
			out.push({ type: option.type, name: option.name, value: value === undefined ? '' : String(value), focused: true });
			continue;
		}
		if (value === undefined || value === null) {
			if (option.required && focused === undefined) throw new ControlError(`missing required option "${option.name}"`);
			continue;
		}
		out.push({ type: option.type, name: option.name, value: convertValue(state, guild, option, value, resolved) });
	}
	return out;
}

function typeError(option: CommandOption, expected: string, value: unknown): ControlError {
	return new ControlError(`option "${option.name}" expects ${expected}, got ${JSON.stringify(value)}`);
}

function convertValue(state: SandboxState, guild: GuildRecord, option: CommandOption, value: unknown, resolved: Resolved): unknown {
	switch (option.type) {
		case ApplicationCommandOptionType.String: {
			if (typeof value !== 'string') throw typeError(option, 'a string', value);
			if (option.min_length !== undefined && value.length < option.min_length) {
				throw new ControlError(`option "${option.name}" must be at least ${option.min_length} characters`);
			}
			if (option.max_length !== undefined && value.length > option.max_length) {
				throw new ControlError(`option "${option.name}" must be at most ${option.max_length} characters`);
			}
			checkChoice(option, value);
			return value;
		}
		case ApplicationCommandOptionType.Integer:
		case ApplicationCommandOptionType.Number: {
			const integer = option.type === ApplicationCommandOptionType.Integer;
			const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
			if (typeof number !== 'number' || !Number.isFinite(number) || (integer && !Number.isInteger(number))) {
				throw typeError(option, integer ? 'an integer' : 'a number', value);
			}
			if (option.min_value !== undefined && number < option.min_value)
				throw new ControlError(`option "${option.name}" must be ≥ ${option.min_value}`);
			if (option.max_value !== undefined && number > option.max_value)
				throw new ControlError(`option "${option.name}" must be ≤ ${option.max_value}`);
			checkChoice(option, number);
			return number;
		}
		case ApplicationCommandOptionType.Boolean: {
			if (typeof value === 'boolean') return value;
			if (value === 'true' || value === 'false') return value === 'true';
			throw typeError(option, 'a boolean', value);
		}
		case ApplicationCommandOptionType.User:
			return resolveUser(state, guild, option, value, resolved);
		case ApplicationCommandOptionType.Role:
			return resolveRole(guild, option, value, resolved);
		case ApplicationCommandOptionType.Mentionable: {
			if (typeof value === 'string' && guild.roles.has(value)) return resolveRole(guild, option, value, resolved);
			return resolveUser(state, guild, option, value, resolved);
		}
		case ApplicationCommandOptionType.Channel: {
			const channel = typeof value === 'string' ? guild.channels.get(value) : undefined;
			if (!channel) throw typeError(option, `a channel id of guild ${guild.id}`, value);
			if (option.channel_types?.length && !option.channel_types.includes(channel.type)) {
				throw new ControlError(
					`option "${option.name}" only accepts channel types ${option.channel_types.join(', ')}, #${channel.name} is type ${channel.type}`
				);
			}
			resolved.channels[channel.id] = {
				id: channel.id,
				name: channel.name,
				type: channel.type,
				permissions: memberPermissions(guild, state.botUserId).toString(),
				guild_id: guild.id,
				flags: 0,
				...(channel.type === ChannelType.GuildText ? { topic: channel.topic, last_message_id: channel.lastMessageId } : {}),
				parent_id: null
			};
			return channel.id;
		}
		default:
			throw new ControlError(
				`option "${option.name}" has type ${option.type}, which the sandbox cannot fill (attachments are not supported)`
			);
	}
}

function checkChoice(option: CommandOption, value: string | number): void {
	if (option.choices?.length && !option.choices.some((c) => c.value === value)) {
		throw new ControlError(`option "${option.name}" must be one of: ${option.choices.map((c) => JSON.stringify(c.value)).join(', ')}`);
	}
}

function resolveUser(state: SandboxState, guild: GuildRecord, option: CommandOption, value: unknown, resolved: Resolved): string {
	const user = typeof value === 'string' ? state.findUser(value) : undefined;
	if (!user) throw typeError(option, 'a user id', value);
	resolved.users[user.id] = toApiUser(user);
	const member = guild.members.get(user.id);
	if (member) {
		// Resolved members omit `user` (it is in `resolved.users`) but carry permissions.
		const { user: _user, ...rest } = toApiInteractionMember(state, guild, member);
		resolved.members[user.id] = rest;
	}
	return user.id;
}

function resolveRole(guild: GuildRecord, option: CommandOption, value: unknown, resolved: Resolved): string {
	const role = typeof value === 'string' ? guild.roles.get(value) : undefined;
	if (!role) throw typeError(option, `a role id of guild ${guild.id}`, value);
	resolved.roles[role.id] = toApiRole(role);
	return role.id;
}

/** Control-API input for a button press or select. */
export interface ComponentRunInput {
	message_id: string;
	user_id: string;
	custom_id: string;
	values?: string[] | undefined;
}

/** Finds a component by custom_id anywhere in a message's component tree. */
function findComponent(components: unknown[], customId: string): { type: number } | undefined {
	for (const component of components) {
		if (typeof component !== 'object' || component === null) continue;
		const c = component as { type?: number; custom_id?: string; components?: unknown[]; accessory?: unknown };
		if (c.custom_id === customId && typeof c.type === 'number') return { type: c.type };
		const nested = [...(c.components ?? []), ...(c.accessory ? [c.accessory] : [])];
		const found = findComponent(nested, customId);
		if (found) return found;
	}
	return undefined;
}

/** Builds INTERACTION_CREATE (type 3) for a person pressing a component on a bot message. */
export function buildComponentInteraction(
	state: SandboxState,
	store: InteractionStore,
	applicationId: string,
	input: ComponentRunInput
): { record: InteractionRecord; payload: Record<string, unknown> } {
	const message = state.messages.get(input.message_id);
	if (!message?.guildId) throw new ControlError(`unknown message ${input.message_id}`);
	if (message.authorId !== state.botUserId) throw new ControlError(`message ${message.id} was not posted by the bot`);
	const guild = state.requireGuild(message.guildId);
	if (!guild.members.has(input.user_id)) throw new ControlError(`user ${input.user_id} is not a member of guild ${guild.id}`);
	if (message.ephemeral && message.interaction?.userId !== input.user_id) {
		throw new ControlError(`message ${message.id} is ephemeral and only visible to its interaction's user`);
	}
	const component = findComponent(message.components, input.custom_id);
	if (!component) throw new ControlError(`message ${message.id} has no component with custom_id "${input.custom_id}"`);
	const isSelect = [
		ComponentType.StringSelect,
		ComponentType.UserSelect,
		ComponentType.RoleSelect,
		ComponentType.MentionableSelect,
		ComponentType.ChannelSelect
	].includes(component.type);
	if (isSelect && !input.values) throw new ControlError(`component "${input.custom_id}" is a select menu: "values" is required`);
	if (!isSelect && input.values) throw new ControlError(`component "${input.custom_id}" is a button: "values" is not allowed`);

	const record = store.create(state, {
		type: InteractionType.MessageComponent,
		guildId: guild.id,
		channelId: message.channelId,
		userId: input.user_id,
		name: input.custom_id,
		commandType: 0,
		sourceMessageId: message.id
	});
	const data: Record<string, unknown> = { custom_id: input.custom_id, component_type: component.type };
	if (input.values) data.values = input.values;
	const payload = {
		...basePayload(state, applicationId, guild, record),
		data,
		message: { ...toApiMessage(state, message), guild_id: guild.id }
	};
	return { record, payload };
}

/** What a REST callback/webhook handler needs to act on interactions. */
export interface InteractionDeps {
	state: SandboxState;
	actions: SandboxActions;
	applicationId: string;
}

/**
 * Handles `POST /interactions/{id}/{token}/callback`: one acknowledgement per
 * interaction (40060 after that), only the response types Discord allows for the
 * interaction type; the acknowledgement window (10062 after it) is checked by {@link InteractionStore.forCallback}.
 */
export function handleCallback(
	deps: InteractionDeps,
	record: InteractionRecord,
	json: unknown,
	files: UploadedFile[]
): MessageRecord | null {
	if (record.callbackType !== null) throw Errors.alreadyAcknowledged();
	const body = (typeof json === 'object' && json !== null ? json : {}) as { type?: unknown; data?: unknown };
	const allowed = ALLOWED_CALLBACKS[record.type] ?? [];
	if (typeof body.type !== 'number' || !allowed.includes(body.type)) {
		const errors = new FormErrors();
		errors.add(['type'], 'BASE_TYPE_CHOICES', `Value must be one of {${allowed.join(', ')}}.`);
		errors.throwIfAny();
	}
	const type = body.type as InteractionResponseType;
	const { state, actions } = deps;
	const messageFields = {
		channelId: record.channelId,
		guildId: record.guildId,
		authorId: state.botUserId,
		type: record.type === InteractionType.ApplicationCommand ? commandMessageType(record.commandType) : MessageType.Default
	};
	const extra = {
		interaction: { id: record.id, type: record.type, name: record.name, userId: record.userId },
		webhookId: deps.applicationId,
		applicationId: deps.applicationId
	};

	switch (type) {
		case InteractionResponseType.ChannelMessageWithSource: {
			const input = parseMessageInput(state, body.data, files, false);
			const ephemeral = ((input.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
			const message = actions.postMessage({ ...messageFields, ephemeral }, input, extra);
			record.callbackType = type;
			record.originalMessageId = message.id;
			record.messageIds.add(message.id);
			record.resolve({ kind: 'message', reply: visibleReply(message) });
			return message;
		}
		case InteractionResponseType.DeferredChannelMessageWithSource: {
			const flags =
				typeof (body.data as { flags?: unknown } | undefined)?.flags === 'number'
					? (body.data as { flags: number }).flags & MessageFlags.Ephemeral
					: 0;
			const message = actions.postMessage({ ...messageFields, ephemeral: flags !== 0 }, { flags: MessageFlags.Loading | flags }, extra);
			record.callbackType = type;
			record.originalMessageId = message.id;
			record.messageIds.add(message.id);
			record.awaitingEdit = true;
			return message;
		}
		case InteractionResponseType.DeferredMessageUpdate:
		case InteractionResponseType.UpdateMessage: {
			const source = record.sourceMessageId ? state.messages.get(record.sourceMessageId) : undefined;
			if (!source) throw Errors.unknownMessage();
			record.callbackType = type;
			record.originalMessageId = source.id;
			record.messageIds.add(source.id);
			if (type === InteractionResponseType.DeferredMessageUpdate) {
				record.awaitingEdit = true;
				return null;
			}
			actions.editMessage(source, parseMessageInput(state, body.data ?? {}, files, true));
			record.resolve({ kind: 'message', reply: visibleReply(source) });
			return source;
		}
		case InteractionResponseType.ApplicationCommandAutocompleteResult: {
			const choices = (body.data as { choices?: unknown } | undefined)?.choices;
			const errors = new FormErrors();
			if (!Array.isArray(choices)) errors.add(['data', 'choices'], 'BASE_TYPE_REQUIRED', 'This field is required');
			else if (choices.length > 25) errors.add(['data', 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
			checkAutocompleteChoices(errors, body, record.focusedType);
			errors.throwIfAny();
			record.callbackType = type;
			record.resolve({ kind: 'choices', choices: choices as unknown[] });
			return null;
		}
		case InteractionResponseType.Modal: {
			const data = (body.data ?? {}) as { custom_id?: unknown; title?: unknown; components?: unknown };
			const errors = new FormErrors();
			if (typeof data.custom_id !== 'string' || data.custom_id.length === 0)
				errors.add(['data', 'custom_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
			if (typeof data.title !== 'string' || data.title.length === 0)
				errors.add(['data', 'title'], 'BASE_TYPE_REQUIRED', 'This field is required');
			if (!Array.isArray(data.components)) errors.add(['data', 'components'], 'BASE_TYPE_REQUIRED', 'This field is required');
			errors.throwIfAny();
			record.callbackType = type;
			record.resolve({ kind: 'modal', modal: data });
			return null;
		}
		default:
			throw Errors.invalidFormBody({
				type: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: 'Value is not a valid interaction callback type.' }] }
			});
	}
}

function commandMessageType(commandType: number): MessageType {
	return commandType === ApplicationCommandType.ChatInput ? MessageType.ChatInputCommand : MessageType.ContextMenuCommand;
}

/** The `@original` message of an acknowledged interaction, or 10008 Unknown Message. */
export function originalMessage(state: SandboxState, record: InteractionRecord): MessageRecord {
	const message = record.originalMessageId ? state.messages.get(record.originalMessageId) : undefined;
	if (!message) throw Errors.unknownMessage();
	return message;
}

/** Edits a message through the interaction's webhook; settles a deferred interaction. */
export function editThroughWebhook(
	deps: InteractionDeps,
	record: InteractionRecord,
	message: MessageRecord,
	json: unknown,
	files: UploadedFile[]
): MessageRecord {
	const input = parseMessageInput(deps.state, json, files, true);
	deps.actions.finishLoading(message);
	deps.actions.editMessage(message, input);
	if (record.awaitingEdit && record.originalMessageId === message.id) {
		record.awaitingEdit = false;
		record.resolve({ kind: 'message', reply: visibleReply(message) });
	}
	return message;
}

/**
 * Follow-up message. Like Discord, the first follow-up after a deferred reply
 * replaces the "thinking…" original instead of posting a second message.
 */
export function followUp(deps: InteractionDeps, record: InteractionRecord, json: unknown, files: UploadedFile[]): MessageRecord {
	if (record.callbackType === null) throw Errors.unknownWebhook();
	const original = record.originalMessageId ? deps.state.messages.get(record.originalMessageId) : undefined;
	if (
		original &&
		record.callbackType === InteractionResponseType.DeferredChannelMessageWithSource &&
		(original.flags & MessageFlags.Loading) !== 0
	) {
		parseMessageInput(deps.state, json, files, false); // a follow-up must not be empty, even when it becomes an edit
		return editThroughWebhook(deps, record, original, json, files);
	}
	const input = parseMessageInput(deps.state, json, files, false);
	const ephemeral = ((input.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
	const message = deps.actions.postMessage(
		{ channelId: record.channelId, guildId: record.guildId, authorId: deps.state.botUserId, ephemeral },
		input,
		{
			interaction: { id: record.id, type: record.type, name: record.name, userId: record.userId },
			webhookId: deps.applicationId,
			applicationId: deps.applicationId
		}
	);
	record.messageIds.add(message.id);
	if (record.awaitingEdit) {
		record.awaitingEdit = false;
		record.resolve({ kind: 'message', reply: visibleReply(message) });
	}
	return message;
}
