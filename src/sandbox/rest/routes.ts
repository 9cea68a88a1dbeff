import type { IncomingHttpHeaders } from 'node:http';
import { GatewayIntentBits, PermissionFlagsBits } from 'discord-api-types/v10';
import type { SandboxContext } from '../context.ts';
import { Errors, FormErrors } from '../errors.ts';
import type { ParsedBody } from '../http.ts';
import type { InteractionDeps, InteractionRecord } from '../interactions.ts';
import { editThroughWebhook, followUp, handleCallback, originalMessage, visibleReply } from '../interactions.ts';
import { listMembers, searchMembers } from '../members.ts';
import { parseMessageInput } from '../messages.ts';
import type { TokenGrant } from '../oauth.ts';
import { gateBotMessage } from '../overwrites.ts';
import { channelPermissions, memberPermissions } from '../permissions.ts';
import { toApiChannel, toApiCommand, toApiGuild, toApiMember, toApiMessage, toApiRole, toApiUser, toApiUserPII } from '../serialize.ts';
import { isSnowflake } from '../snowflake.ts';
import type { GuildRecord } from '../state.ts';
import { overwriteCommands, parseCommand, patchCommand, upsertCommand } from './commands.ts';
import { assertCanWriteRole, parseRoleBody } from './roles.ts';

/** HTTP methods the emulator serves. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who may call a route: the bot token, the bot or an OAuth2 Bearer user, or anyone holding the URL's token. */
export type RouteAuth = 'bot' | 'bot-or-bearer' | 'none';

/** The caller, once authenticated. */
export type Caller = { kind: 'bot' } | { kind: 'bearer'; grant: TokenGrant } | { kind: 'anonymous' };

/** A REST request as handlers see it. */
export interface RestRequest {
	method: HttpMethod;
	params: Record<string, string>;
	query: URLSearchParams;
	body: ParsedBody;
	headers: IncomingHttpHeaders;
	caller: Caller;
}

/** A handler's answer; `body` undefined means an empty body (204). */
export interface RestResult {
	status: number;
	body?: unknown;
}

/** One entry of the route table. */
export interface RouteDefinition {
	method: HttpMethod;
	/** OpenAPI-style template, relative to `/api/v10`. */
	path: string;
	/** The spec's operationId, when the published spec documents the route. */
	operationId?: string;
	auth: RouteAuth;
	handle(ctx: SandboxContext, req: RestRequest): RestResult;
}

const ok = (body: unknown, status = 200): RestResult => ({ status, body });
const noContent = (): RestResult => ({ status: 204 });

function param(req: RestRequest, name: string): string {
	return req.params[name] ?? '';
}

/** The guild the bot is in, or 10004 / 50001. */
function botGuild(ctx: SandboxContext, id: string): GuildRecord {
	const guild = ctx.state.requireGuild(id);
	if (!guild.members.has(ctx.botUserId)) throw Errors.missingAccess();
	return guild;
}

function requireApplication(ctx: SandboxContext, id: string): void {
	if (id !== ctx.applicationId) throw Errors.missingAccess();
}

/**
 * Channel the bot can see, with the permission check Discord applies in that channel, overwrites included
 * (50001 Missing Access when it cannot view it, 50013 Missing Permissions when it lacks one of `needs`).
 */
function botChannel(ctx: SandboxContext, id: string, needs: bigint = PermissionFlagsBits.ViewChannel) {
	const channel = ctx.state.requireChannel(id);
	const guild = botGuild(ctx, channel.guildId);
	const permissions = channelPermissions(guild, channel, ctx.botUserId);
	if ((permissions & PermissionFlagsBits.ViewChannel) === 0n) throw Errors.missingAccess();
	if ((permissions & needs) !== needs) throw Errors.missingPermissions();
	return { channel, guild };
}

function intParam(errors: FormErrors, query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
	const raw = query.get(name);
	if (raw === null) return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || raw.trim() === '') errors.add([name], 'NUMBER_TYPE_COERCE', `Value "${raw}" is not int.`);
	else if (value < min || value > max) errors.add([name], 'NUMBER_TYPE_MAX', `int value should be <= ${max} and >= ${min}.`);
	return value;
}

function snowflakeParam(errors: FormErrors, query: URLSearchParams, name: string): bigint | undefined {
	const raw = query.get(name);
	if (raw === null) return undefined;
	if (!isSnowflake(raw)) {
		errors.add([name], 'NUMBER_TYPE_COERCE', `Value "${raw}" is not snowflake.`);
		return undefined;
	}
	return BigInt(raw);
}

function interactionDeps(ctx: SandboxContext): InteractionDeps {
	return { state: ctx.state, actions: ctx.actions, applicationId: ctx.applicationId };
}

/** The interaction behind `/webhooks/{application_id}/{interaction_token}`, or 10015. */
function webhookInteraction(ctx: SandboxContext, req: RestRequest): InteractionRecord {
	if (param(req, 'application_id') !== ctx.applicationId) throw Errors.unknownWebhook();
	return ctx.interactions.forWebhook(param(req, 'interaction_token'));
}

function webhookMessage(ctx: SandboxContext, req: RestRequest, record: InteractionRecord) {
	const id = param(req, 'message_id');
	const message = ctx.state.messages.get(id);
	if (!message || !record.messageIds.has(id)) throw Errors.unknownMessage();
	return message;
}

/** `PrivateApplicationResponse` for the sandbox application. */
function application(ctx: SandboxContext): Record<string, unknown> {
	const bot = ctx.state.requireUser(ctx.botUserId);
	const owner = [...ctx.state.guilds.values()][0]?.ownerId;
	const ownerUser = owner ? ctx.state.users.get(owner) : undefined;
	return {
		id: ctx.applicationId,
		name: bot.username,
		icon: null,
		description: 'Facet running against the offline Discord sandbox',
		type: null,
		bot: toApiUser(bot),
		bot_public: true,
		bot_require_code_grant: false,
		verify_key: '0'.repeat(64),
		flags: 0,
		flags_new: '0',
		redirect_uris: [],
		interactions_endpoint_url: null,
		role_connections_verification_url: null,
		owner: toApiUser(ownerUser ?? bot),
		approximate_guild_count: ctx.state.guilds.size,
		approximate_user_install_count: 0,
		approximate_user_authorization_count: 0,
		explicit_content_filter: 0,
		team: null,
		eligible_oauth2_scopes: ['bot', 'applications.commands', 'identify', 'guilds', 'email'],
		tags: [],
		integration_types_config: { '0': {} }
	};
}

function commandsOf(ctx: SandboxContext, req: RestRequest, guildId: string | null) {
	const withLocalizations = req.query.get('with_localizations') === 'true';
	return ok(ctx.state.commandsOf(guildId).map((c) => toApiCommand(ctx.applicationId, c, withLocalizations)));
}

function commandIn(ctx: SandboxContext, req: RestRequest, guildId: string | null) {
	const command = ctx.state.commands.get(param(req, 'command_id'));
	if (!command || command.guildId !== guildId) throw Errors.unknownCommand();
	return command;
}

function guildScope(ctx: SandboxContext, req: RestRequest): string {
	requireApplication(ctx, param(req, 'application_id'));
	return botGuild(ctx, param(req, 'guild_id')).id;
}

/**
 * Every REST route the emulator serves, in one table: tests enumerate it to make
 * sure each route has a success and an error case checked against the OpenAPI spec.
 */
export const routes: readonly RouteDefinition[] = [
	{
		method: 'GET',
		path: '/gateway',
		operationId: 'get_gateway',
		auth: 'none',
		handle: (ctx) => ok({ url: ctx.gatewayUrl() })
	},
	{
		method: 'GET',
		path: '/gateway/bot',
		operationId: 'get_bot_gateway',
		auth: 'bot',
		handle: (ctx) =>
			ok({
				url: ctx.gatewayUrl(),
				shards: ctx.settings.recommendedShards,
				session_start_limit: ctx.gateway.sessionStartLimit()
			})
	},
	{
		method: 'GET',
		path: '/users/@me',
		operationId: 'get_my_user',
		auth: 'bot-or-bearer',
		handle: (ctx, req) => {
			if (req.caller.kind === 'bearer') {
				const { grant } = req.caller;
				return ok(toApiUserPII(ctx.state.requireUser(grant.userId), grant.scope.split(/\s+/).includes('email')));
			}
			return ok(toApiUserPII(ctx.state.requireUser(ctx.botUserId), false));
		}
	},
	{
		method: 'GET',
		path: '/users/@me/guilds',
		operationId: 'list_my_guilds',
		auth: 'bot-or-bearer',
		handle: (ctx, req) => {
			let userId = ctx.botUserId;
			if (req.caller.kind === 'bearer') {
				// Discord answers 401 when the token lacks the `guilds` scope.
				if (!req.caller.grant.scope.split(/\s+/).includes('guilds')) throw Errors.unauthorized();
				userId = req.caller.grant.userId;
			}
			const errors = new FormErrors();
			const limit = intParam(errors, req.query, 'limit', 1, 200, 200);
			const after = snowflakeParam(errors, req.query, 'after');
			const before = snowflakeParam(errors, req.query, 'before');
			errors.throwIfAny();
			const guilds = [...ctx.state.guilds.values()]
				.filter((g) => g.members.has(userId))
				.filter((g) => (after === undefined || BigInt(g.id) > after) && (before === undefined || BigInt(g.id) < before))
				.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
				.slice(0, limit);
			return ok(
				guilds.map((g) => ({
					id: g.id,
					name: g.name,
					icon: null,
					banner: null,
					owner: g.ownerId === userId,
					permissions: memberPermissions(g, userId).toString(),
					features: [],
					...(req.query.get('with_counts') === 'true' ? { approximate_member_count: g.members.size, approximate_presence_count: 0 } : {})
				}))
			);
		}
	},
	{
		method: 'GET',
		path: '/users/{user_id}',
		operationId: 'get_user',
		auth: 'bot',
		handle: (ctx, req) => ok(toApiUser(ctx.state.requireUser(param(req, 'user_id'))))
	},
	{
		method: 'GET',
		path: '/oauth2/applications/@me',
		operationId: 'get_my_oauth2_application',
		auth: 'bot',
		handle: (ctx) => ok(application(ctx))
	},
	{
		method: 'GET',
		path: '/applications/@me',
		operationId: 'get_my_application',
		auth: 'bot',
		handle: (ctx) => ok(application(ctx))
	},
	{
		method: 'GET',
		path: '/applications/{application_id}/commands',
		operationId: 'list_application_commands',
		auth: 'bot',
		handle: (ctx, req) => {
			requireApplication(ctx, param(req, 'application_id'));
			return commandsOf(ctx, req, null);
		}
	},
	{
		method: 'POST',
		path: '/applications/{application_id}/commands',
		operationId: 'create_application_command',
		auth: 'bot',
		handle: (ctx, req) => {
			requireApplication(ctx, param(req, 'application_id'));
			const { command, created } = upsertCommand(ctx.state, null, parseCommand(req.body.json));
			return ok(toApiCommand(ctx.applicationId, command), created ? 201 : 200);
		}
	},
	{
		method: 'PUT',
		path: '/applications/{application_id}/commands',
		operationId: 'bulk_set_application_commands',
		auth: 'bot',
		handle: (ctx, req) => {
			requireApplication(ctx, param(req, 'application_id'));
			return ok(overwriteCommands(ctx.state, null, req.body.json).map((c) => toApiCommand(ctx.applicationId, c)));
		}
	},
	{
		method: 'GET',
		path: '/applications/{application_id}/commands/{command_id}',
		operationId: 'get_application_command',
		auth: 'bot',
		handle: (ctx, req) => {
			requireApplication(ctx, param(req, 'application_id'));
			return ok(toApiCommand(ctx.applicationId, commandIn(ctx, req, null)));
		}
	},
	{
		method: 'PATCH',
		path: '/applications/{application_id}/commands/{command_id}',
		operationId: 'update_application_command',
		auth: 'bot',
		handle: (ctx, req) => {
			requireApplication(ctx, param(req, 'application_id'));
			return ok(toApiCommand(ctx.applicationId, patchCommand(ctx.state, commandIn(ctx, req, null), req.body.json)));
		}
	},
	{
		method: 'DELETE',
		path: '/applications/{application_id}/commands/{command_id}',
		operationId: 'delete_application_command',
		auth: 'bot',
		handle: (ctx, req) => {
			requireApplication(ctx, param(req, 'application_id'));
			ctx.state.commands.delete(commandIn(ctx, req, null).id);
			return noContent();
		}
	},
	{
		method: 'GET',
		path: '/applications/{application_id}/guilds/{guild_id}/commands',
		operationId: 'list_guild_application_commands',
		auth: 'bot',
		handle: (ctx, req) => commandsOf(ctx, req, guildScope(ctx, req))
	},
	{
		method: 'POST',
		path: '/applications/{application_id}/guilds/{guild_id}/commands',
		operationId: 'create_guild_application_command',
		auth: 'bot',
		handle: (ctx, req) => {
			const guildId = guildScope(ctx, req);
			const { command, created } = upsertCommand(ctx.state, guildId, parseCommand(req.body.json));
			return ok(toApiCommand(ctx.applicationId, command), created ? 201 : 200);
		}
	},
	{
		method: 'PUT',
		path: '/applications/{application_id}/guilds/{guild_id}/commands',
		operationId: 'bulk_set_guild_application_commands',
		auth: 'bot',
		handle: (ctx, req) => {
			const guildId = guildScope(ctx, req);
			return ok(overwriteCommands(ctx.state, guildId, req.body.json).map((c) => toApiCommand(ctx.applicationId, c)));
		}
	},
	{
		method: 'GET',
		path: '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}',
		operationId: 'get_guild_application_command',
		auth: 'bot',
		handle: (ctx, req) => ok(toApiCommand(ctx.applicationId, commandIn(ctx, req, guildScope(ctx, req))))
	},
	{
		method: 'PATCH',
		path: '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}',
		operationId: 'update_guild_application_command',
		auth: 'bot',
		handle: (ctx, req) =>
			ok(toApiCommand(ctx.applicationId, patchCommand(ctx.state, commandIn(ctx, req, guildScope(ctx, req)), req.body.json)))
	},
	{
		method: 'DELETE',
		path: '/applications/{application_id}/guilds/{guild_id}/commands/{command_id}',
		operationId: 'delete_guild_application_command',
		auth: 'bot',
		handle: (ctx, req) => {
			ctx.state.commands.delete(commandIn(ctx, req, guildScope(ctx, req)).id);
			return noContent();
		}
	},
	{
		method: 'POST',
		path: '/interactions/{interaction_id}/{interaction_token}/callback',
		operationId: 'create_interaction_response',
		auth: 'none',
		handle: (ctx, req) => {
			const record = ctx.interactions.forCallback(param(req, 'interaction_id'), param(req, 'interaction_token'));
			const message = handleCallback(interactionDeps(ctx), record, req.body.json, req.body.files);
			ctx.interactions.acknowledged(record);
			if (req.query.get('with_response') !== 'true') return noContent();
			const resource = message ? { type: record.callbackType, message: toApiMessage(ctx.state, message) } : undefined;
			return ok({
				interaction: {
					id: record.id,
					type: record.type,
					channel_id: record.channelId,
					guild_id: record.guildId,
					...(message
						? {
								response_message_id: message.id,
								response_message_loading: (message.flags & 128) !== 0,
								response_message_ephemeral: visibleReply(message).ephemeral
							}
						: {})
				},
				...(resource ? { resource } : {})
			});
		}
	},
	{
		method: 'GET',
		path: '/webhooks/{application_id}/{interaction_token}/messages/@original',
		operationId: 'get_original_webhook_message',
		auth: 'none',
		handle: (ctx, req) => ok(toApiMessage(ctx.state, originalMessage(ctx.state, webhookInteraction(ctx, req))))
	},
	{
		method: 'PATCH',
		path: '/webhooks/{application_id}/{interaction_token}/messages/@original',
		operationId: 'update_original_webhook_message',
		auth: 'none',
		handle: (ctx, req) => {
			const record = webhookInteraction(ctx, req);
			const message = editThroughWebhook(interactionDeps(ctx), record, originalMessage(ctx.state, record), req.body.json, req.body.files);
			return ok(toApiMessage(ctx.state, message));
		}
	},
	{
		method: 'DELETE',
		path: '/webhooks/{application_id}/{interaction_token}/messages/@original',
		operationId: 'delete_original_webhook_message',
		auth: 'none',
		handle: (ctx, req) => {
			ctx.actions.deleteMessage(originalMessage(ctx.state, webhookInteraction(ctx, req)));
			return noContent();
		}
	},
	{
		method: 'POST',
		path: '/webhooks/{application_id}/{interaction_token}',
		operationId: 'execute_webhook',
		auth: 'none',
		handle: (ctx, req) =>
			ok(toApiMessage(ctx.state, followUp(interactionDeps(ctx), webhookInteraction(ctx, req), req.body.json, req.body.files)))
	},
	{
		method: 'GET',
		path: '/webhooks/{application_id}/{interaction_token}/messages/{message_id}',
		operationId: 'get_webhook_message',
		auth: 'none',
		handle: (ctx, req) => ok(toApiMessage(ctx.state, webhookMessage(ctx, req, webhookInteraction(ctx, req))))
	},
	{
		method: 'PATCH',
		path: '/webhooks/{application_id}/{interaction_token}/messages/{message_id}',
		operationId: 'update_webhook_message',
		auth: 'none',
		handle: (ctx, req) => {
			const record = webhookInteraction(ctx, req);
			const message = editThroughWebhook(interactionDeps(ctx), record, webhookMessage(ctx, req, record), req.body.json, req.body.files);
			return ok(toApiMessage(ctx.state, message));
		}
	},
	{
		method: 'DELETE',
		path: '/webhooks/{application_id}/{interaction_token}/messages/{message_id}',
		operationId: 'delete_webhook_message',
		auth: 'none',
		handle: (ctx, req) => {
			ctx.actions.deleteMessage(webhookMessage(ctx, req, webhookInteraction(ctx, req)));
			return noContent();
		}
	},
	{
		method: 'GET',
		path: '/channels/{channel_id}',
		operationId: 'get_channel',
		auth: 'bot',
		handle: (ctx, req) => ok(toApiChannel(botChannel(ctx, param(req, 'channel_id')).channel))
	},
	{
		method: 'GET',
		path: '/channels/{channel_id}/messages',
		operationId: 'list_messages',
		auth: 'bot',
		handle: (ctx, req) => {
			const { channel } = botChannel(
				ctx,
				param(req, 'channel_id'),
				PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory
			);
			const errors = new FormErrors();
			const limit = intParam(errors, req.query, 'limit', 1, 100, 50);
			const before = snowflakeParam(errors, req.query, 'before');
			const after = snowflakeParam(errors, req.query, 'after');
			const around = snowflakeParam(errors, req.query, 'around');
			errors.throwIfAny();
			const history = ctx.state.history.get(channel.id) ?? [];
			let picked: typeof history;
			if (around !== undefined) {
				// Centred on `around`: half before, half after, like Discord.
				const pivot = history.findIndex((m) => BigInt(m.id) >= around);
				const center = pivot === -1 ? history.length : pivot;
				const start = Math.max(0, center - Math.floor(limit / 2));
				picked = history.slice(start, start + limit);
			} else if (after !== undefined) {
				picked = history.filter((m) => BigInt(m.id) > after).slice(0, limit);
			} else {
				const older = before === undefined ? history : history.filter((m) => BigInt(m.id) < before);
				picked = older.slice(Math.max(0, older.length - limit));
			}
			// Discord lists newest first whatever the paging direction.
			return ok([...picked].reverse().map((m) => toApiMessage(ctx.state, m)));
		}
	},
	{
		method: 'POST',
		path: '/channels/{channel_id}/messages',
		operationId: 'create_message',
		auth: 'bot',
		handle: (ctx, req) => {
			const { channel, guild } = botChannel(
				ctx,
				param(req, 'channel_id'),
				PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages
			);
			const input = gateBotMessage(guild, channel, ctx.botUserId, parseMessageInput(ctx.state, req.body.json, req.body.files, false));
			if ((input.flags ?? 0) & 64)
				throw Errors.invalidFormBody({
					flags: { _errors: [{ code: 'MESSAGE_FLAGS_INVALID', message: 'Ephemeral messages need an interaction' }] }
				});
			// enforce_nonce: a retry of a create that reached Discord gets the first message back, and nothing is dispatched.
			if (input.enforceNonce && input.nonce !== undefined) {
				const earlier = ctx.state.messageByNonce(channel.id, ctx.botUserId, input.nonce);
				if (earlier) return ok(toApiMessage(ctx.state, earlier));
			}
			const message = ctx.actions.postMessage({ channelId: channel.id, guildId: channel.guildId, authorId: ctx.botUserId }, input);
			ctx.state.rememberNonce(message);
			return ok(toApiMessage(ctx.state, message));
		}
	},
	{
		method: 'GET',
		path: '/channels/{channel_id}/messages/{message_id}',
		operationId: 'get_message',
		auth: 'bot',
		handle: (ctx, req) => {
			const { channel } = botChannel(
				ctx,
				param(req, 'channel_id'),
				PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory
			);
			return ok(toApiMessage(ctx.state, ctx.state.requireChannelMessage(channel.id, param(req, 'message_id'))));
		}
	},
	{
		method: 'PATCH',
		path: '/channels/{channel_id}/messages/{message_id}',
		operationId: 'update_message',
		auth: 'bot',
		handle: (ctx, req) => {
			const { channel, guild } = botChannel(ctx, param(req, 'channel_id'));
			const message = ctx.state.requireChannelMessage(channel.id, param(req, 'message_id'));
			if (message.authorId !== ctx.botUserId) throw Errors.cannotEditOthers();
			const input = gateBotMessage(guild, channel, ctx.botUserId, parseMessageInput(ctx.state, req.body.json, req.body.files, true));
			ctx.actions.finishLoading(message);
			ctx.actions.editMessage(message, input);
			ctx.interactions.noticeEdit(message, visibleReply(message));
			return ok(toApiMessage(ctx.state, message));
		}
	},
	{
		method: 'DELETE',
		path: '/channels/{channel_id}/messages/{message_id}',
		operationId: 'delete_message',
		auth: 'bot',
		handle: (ctx, req) => {
			const { channel, guild } = botChannel(ctx, param(req, 'channel_id'));
			const message = ctx.state.requireChannelMessage(channel.id, param(req, 'message_id'));
			const canManage = (channelPermissions(guild, channel, ctx.botUserId) & PermissionFlagsBits.ManageMessages) !== 0n;
			if (message.authorId !== ctx.botUserId && !canManage) throw Errors.missingPermissions();
			ctx.actions.deleteMessage(message);
			return noContent();
		}
	},
	{
		method: 'GET',
		path: '/guilds/{guild_id}',
		operationId: 'get_guild',
		auth: 'bot',
		handle: (ctx, req) => ok(toApiGuild(botGuild(ctx, param(req, 'guild_id')), req.query.get('with_counts') === 'true'))
	},
	{
		method: 'GET',
		path: '/guilds/{guild_id}/channels',
		operationId: 'list_guild_channels',
		auth: 'bot',
		handle: (ctx, req) => ok([...botGuild(ctx, param(req, 'guild_id')).channels.values()].map(toApiChannel))
	},
	{
		method: 'GET',
		path: '/guilds/{guild_id}/roles',
		operationId: 'list_guild_roles',
		auth: 'bot',
		handle: (ctx, req) => ok([...botGuild(ctx, param(req, 'guild_id')).roles.values()].map(toApiRole))
	},
	{
		method: 'POST',
		path: '/guilds/{guild_id}/roles',
		operationId: 'create_guild_role',
		auth: 'bot',
		handle: (ctx, req) => {
			const guild = botGuild(ctx, param(req, 'guild_id'));
			assertCanWriteRole(guild, ctx.botUserId, undefined);
			const body = parseRoleBody(req.body.json ?? {});
			// Without permissions, Discord gives a new role those of @everyone.
			const permissions = body.permissions ?? guild.roles.get(guild.id)?.permissions ?? 0n;
			assertCanWriteRole(guild, ctx.botUserId, undefined, permissions);
			const role = ctx.actions.createRole(guild, {
				name: body.name ?? 'new role',
				permissions,
				color: body.color ?? 0,
				hoist: body.hoist ?? false,
				mentionable: body.mentionable ?? false,
				position: 1
			});
			return ok(toApiRole(role));
		}
	},
	{
		method: 'PATCH',
		path: '/guilds/{guild_id}/roles/{role_id}',
		operationId: 'update_guild_role',
		auth: 'bot',
		handle: (ctx, req) => {
			const guild = botGuild(ctx, param(req, 'guild_id'));
			const role = guild.roles.get(param(req, 'role_id'));
			if (!role) throw Errors.unknownRole();
			assertCanWriteRole(guild, ctx.botUserId, role);
			const { name, ...changes } = parseRoleBody(req.body.json ?? {});
			assertCanWriteRole(guild, ctx.botUserId, role, changes.permissions);
			// @everyone keeps its name, as on Discord.
			ctx.actions.updateRole(guild, role, role.id === guild.id || name === undefined ? changes : { ...changes, name });
			return ok(toApiRole(role));
		}
	},
	{
		method: 'GET',
		path: '/guilds/{guild_id}/members',
		operationId: 'list_guild_members',
		auth: 'bot',
		handle: (ctx, req) => {
			const guild = botGuild(ctx, param(req, 'guild_id'));
			const enabled = (ctx.settings.allowedPrivilegedIntents & GatewayIntentBits.GuildMembers) !== 0;
			return ok(listMembers(ctx.state, guild, req.query, enabled));
		}
	},
	{
		method: 'GET',
		path: '/guilds/{guild_id}/members/search',
		operationId: 'search_guild_members',
		auth: 'bot',
		handle: (ctx, req) => ok(searchMembers(ctx.state, botGuild(ctx, param(req, 'guild_id')), req.query))
	},
	{
		method: 'GET',
		path: '/guilds/{guild_id}/members/{user_id}',
		operationId: 'get_guild_member',
		auth: 'bot',
		handle: (ctx, req) => {
			const guild = botGuild(ctx, param(req, 'guild_id'));
			return ok(toApiMember(ctx.state, ctx.state.requireMember(guild, param(req, 'user_id'))));
		}
	},
	{
		method: 'PUT',
		path: '/guilds/{guild_id}/members/{user_id}/roles/{role_id}',
		operationId: 'add_guild_member_role',
		auth: 'bot',
		handle: (ctx, req) => {
			const guild = botGuild(ctx, param(req, 'guild_id'));
			ctx.actions.setMemberRole(guild, param(req, 'user_id'), param(req, 'role_id'), true, ctx.botUserId);
			return noContent();
		}
	},
	{
		method: 'DELETE',
		path: '/guilds/{guild_id}/members/{user_id}/roles/{role_id}',
		operationId: 'delete_guild_member_role',
		auth: 'bot',
		handle: (ctx, req) => {
			const guild = botGuild(ctx, param(req, 'guild_id'));
			ctx.actions.setMemberRole(guild, param(req, 'user_id'), param(req, 'role_id'), false, ctx.botUserId);
			return noContent();
		}
	},
	{
		// Not in the published spec: OAuth2 token endpoints are documented in prose only.
		method: 'POST',
		path: '/oauth2/token',
		auth: 'none',
		handle: (ctx, req) => {
			const params = (typeof req.body.json === 'object' && req.body.json !== null ? req.body.json : {}) as Record<string, unknown>;
			const result = ctx.oauth.token(params, basicAuth(req.headers), ctx.applicationId, ctx.settings.clientSecret);
			return ok(result.body, result.status);
		}
	},
	{
		method: 'POST',
		path: '/oauth2/token/revoke',
		auth: 'none',
		handle: (ctx, req) => {
			const params = (typeof req.body.json === 'object' && req.body.json !== null ? req.body.json : {}) as Record<string, unknown>;
			const basic = basicAuth(req.headers);
			const id = basic?.id ?? params.client_id;
			const secret = basic?.secret ?? params.client_secret;
			if (id !== ctx.applicationId || secret !== ctx.settings.clientSecret) {
				return ok({ error: 'invalid_client', error_description: 'Invalid client credentials.' }, 401);
			}
			if (typeof params.token !== 'string' || params.token.length === 0) {
				return ok({ error: 'invalid_request', error_description: 'Missing "token" in request.' }, 400);
			}
			ctx.oauth.revoke(params.token);
			return ok({});
		}
	}
];

/** Client credentials from an HTTP Basic `Authorization` header. */
function basicAuth(headers: IncomingHttpHeaders): { id: string; secret: string } | undefined {
	const header = headers.authorization;
	if (!header?.startsWith('Basic ')) return undefined;
	const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon === -1) return undefined;
	return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

/** `METHOD /path/template`, the key used in stats and tests. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
