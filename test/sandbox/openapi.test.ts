import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, RouteDefinition } from '../../src/sandbox/index.ts';
import { routeKey, routes, SANDBOX_CLIENT_SECRET } from '../../src/sandbox/index.ts';
import { readSpec, relaxSpec, specAjv } from '../../src/sandbox/validate/schema.ts';
import { call, pendingInteraction, RawGateway, startEmulator } from './helpers.ts';

/*
 * Every route of the emulator's route table must have a success and an error case
 * here; each case makes a real request and checks the body against the response
 * schema the published OpenAPI spec gives for that operation and status.
 */

interface OpenApiResponse {
	$ref?: string;
	content?: Record<string, { schema?: unknown }>;
}
interface OpenApiOperation {
	operationId?: string;
	responses: Record<string, OpenApiResponse>;
}
type OpenApiSpec = { paths: Record<string, Record<string, OpenApiOperation>>; components: Record<string, Record<string, unknown>> };

/** Discord's spec, kept in the repository with its licence (src/sandbox/spec/README.md); unions read as `anyOf` (see relaxSpec). */
const spec = relaxSpec(readSpec(), false) as unknown as OpenApiSpec;
/*
 * Known spec deviation: `InnerErrors._errors` items reuse `Error`, whose `code` is an
 * integer, but Discord's form errors carry string codes
 * (`{"_errors":[{"code":"BASE_TYPE_REQUIRED","message":"This field is required"}]}`).
 * The emulator answers like Discord, so the test accepts string codes there, and only there.
 */
const innerErrors = spec.components.schemas?.InnerErrors as { properties: { _errors: { items: unknown } } } | undefined;
if (!innerErrors) throw new Error('spec has no InnerErrors schema');
innerErrors.properties._errors.items = {
	type: 'object',
	required: ['code', 'message'],
	properties: { code: { type: 'string', minLength: 1 }, message: { type: 'string', minLength: 1 } }
};
// The spec's unions are checked as `anyOf` (see relaxSpec); the emulator's request validation uses the same setup.
const ajv = specAjv();
ajv.addSchema(spec as object, 'openapi.json');

const normalise = (template: string) => template.replace(/\{[^}]+\}/g, '{}');

/** The spec path for one of our templates: same shape, parameter names may differ (`{webhook_token}` vs `{interaction_token}`). */
function specPathFor(route: RouteDefinition): string | undefined {
	return Object.keys(spec.paths).find((p) => normalise(p) === normalise(route.path) && spec.paths[p]?.[route.method.toLowerCase()]);
}

const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

const validators = new Map<string, ValidateFunction>();
function validatorFor(ref: string): ValidateFunction {
	const cached = validators.get(ref);
	if (cached) return cached;
	const validate = ajv.compile({ $ref: ref });
	validators.set(ref, validate);
	return validate;
}

/** Schema ref for a response: exact status, then `4XX`/`5XX`, then `default`. */
function responseSchemaRef(route: RouteDefinition, status: number): { ref: string | null; statusKey: string } {
	const path = specPathFor(route);
	if (!path) throw new Error(`${routeKey(route)} is not in the spec`);
	const method = route.method.toLowerCase();
	const operation = spec.paths[path]?.[method];
	const responses = operation?.responses ?? {};
	const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
	if (!statusKey) throw new Error(`${routeKey(route)} has no response for ${status} in the spec`);
	const response = responses[statusKey] as OpenApiResponse;
	if (response.$ref) {
		const name = response.$ref.split('/').at(-1) ?? '';
		const target = spec.components.responses?.[name] as OpenApiResponse | undefined;
		return {
			ref: target?.content?.['application/json']
				? `openapi.json#/${pointer('components', 'responses', name, 'content', 'application/json', 'schema')}`
				: null,
			statusKey
		};
	}
	if (!response.content?.['application/json']) return { ref: null, statusKey };
	return {
		ref: `openapi.json#/${pointer('paths', path, method, 'responses', statusKey, 'content', 'application/json', 'schema')}`,
		statusKey
	};
}

/** OAuth2 token endpoints are documented in prose only; these schemas follow the docs and RFC 6749. */
const OAUTH_SCHEMAS: Record<string, { success: object; error: object }> = {
	'POST /oauth2/token': {
		success: {
			type: 'object',
			required: ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'],
			properties: {
				access_token: { type: 'string', minLength: 1 },
				token_type: { const: 'Bearer' },
				expires_in: { type: 'integer', minimum: 1 },
				refresh_token: { type: 'string', minLength: 1 },
				scope: { type: 'string' }
			}
		},
		error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } }
	},
	'POST /oauth2/token/revoke': {
		success: { type: 'object' },
		error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } }
	}
};

interface Response {
	status: number;
	body: unknown;
	text: string;
}

interface Fixture {
	emulator: Emulator;
	bot: Record<string, string>;
	req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
	globalCommand(): Promise<string>;
	guildCommand(): Promise<string>;
	/** A fresh interaction the bot has not answered yet. */
	interaction(): Promise<{ id: string; token: string }>;
	/** An interaction answered with a message (type 4). */
	answered(): Promise<{ id: string; token: string }>;
	/** An answered interaction plus a follow-up message. */
	followUp(): Promise<{ token: string; messageId: string }>;
	botMessage(): Promise<string>;
	authCode(): Promise<string>;
}

interface Case {
	status: number;
	request(fx: Fixture): Promise<Response>;
}

const g = (fx: Fixture) => fx.emulator.seed.guildId;
const app = (fx: Fixture) => fx.emulator.applicationId;
const general = (fx: Fixture) => fx.emulator.seed.channels.general;
let unique = 0;
const command = (description = 'A test command') => ({
	name: `cmd${++unique}`,
	description,
	options: [{ type: 6, name: 'who', description: 'Who', required: true }]
});

/** One success and one error case per route, keyed `METHOD /template`. */
const cases: Record<string, { success: Case; error: Case }> = {
	'GET /gateway': {
		success: { status: 200, request: (fx) => fx.req('GET', '/gateway') },
		error: {
			status: 429,
			request: async (fx) => {
				fx.emulator.injectFault({ kind: 'rest_429', route: '/gateway', retry_after: 0.5 });
				return fx.req('GET', '/gateway');
			}
		}
	},
	'GET /gateway/bot': {
		success: { status: 200, request: (fx) => fx.req('GET', '/gateway/bot', undefined, fx.bot) },
		error: { status: 401, request: (fx) => fx.req('GET', '/gateway/bot') }
	},
	'GET /users/@me': {
		success: { status: 200, request: (fx) => fx.req('GET', '/users/@me', undefined, fx.bot) },
		error: { status: 401, request: (fx) => fx.req('GET', '/users/@me', undefined, { Authorization: 'Bot wrong' }) }
	},
	'GET /users/@me/guilds': {
		success: { status: 200, request: (fx) => fx.req('GET', '/users/@me/guilds', undefined, fx.bot) },
		error: { status: 400, request: (fx) => fx.req('GET', '/users/@me/guilds?limit=0', undefined, fx.bot) }
	},
	'GET /users/{user_id}': {
		success: { status: 200, request: (fx) => fx.req('GET', `/users/${fx.emulator.seed.users.ada}`, undefined, fx.bot) },
		error: { status: 404, request: (fx) => fx.req('GET', '/users/1', undefined, fx.bot) }
	},
	'GET /oauth2/applications/@me': {
		success: { status: 200, request: (fx) => fx.req('GET', '/oauth2/applications/@me', undefined, fx.bot) },
		error: { status: 401, request: (fx) => fx.req('GET', '/oauth2/applications/@me') }
	},
	'GET /applications/@me': {
		success: { status: 200, request: (fx) => fx.req('GET', '/applications/@me', undefined, fx.bot) },
		error: { status: 401, request: (fx) => fx.req('GET', '/applications/@me') }
	},
	'GET /applications/{application_id}/commands': {
		success: {
			status: 200,
			request: async (fx) => {
				await fx.globalCommand();
				return fx.req('GET', `/applications/${app(fx)}/commands?with_localizations=true`, undefined, fx.bot);
			}
		},
		error: { status: 403, request: (fx) => fx.req('GET', '/applications/1/commands', undefined, fx.bot) }
	},
	'POST /applications/{application_id}/commands': {
		success: { status: 201, request: (fx) => fx.req('POST', `/applications/${app(fx)}/commands`, command(), fx.bot) },
		error: {
			status: 400,
			request: (fx) => fx.req('POST', `/applications/${app(fx)}/commands`, { name: 'Not Valid!', description: '' }, fx.bot)
		}
	},
	'PUT /applications/{application_id}/commands': {
		success: {
			status: 200,
			request: (fx) =>
				fx.req(
					'PUT',
					`/applications/${app(fx)}/commands`,
					[
						command(),
						{ type: 2, name: 'User Info' },
						{
							name: 'groups',
							description: 'Groups',
							options: [
								{
									type: 2,
									name: 'grp',
									description: 'G',
									options: [
										{
											type: 1,
											name: 'sub',
											description: 'S',
											options: [{ type: 3, name: 'q', description: 'Q', choices: [{ name: 'A', value: 'a' }] }]
										}
									]
								}
							]
						}
					],
					fx.bot
				)
		},
		error: {
			status: 400,
			request: (fx) =>
				fx.req(
					'PUT',
					`/applications/${app(fx)}/commands`,
					[command(), { name: 'dup', description: 'd' }, { name: 'dup', description: 'd' }],
					fx.bot
				)
		}
	},
	'GET /applications/{application_id}/commands/{command_id}': {
		success: {
			status: 200,
			request: async (fx) => fx.req('GET', `/applications/${app(fx)}/commands/${await fx.globalCommand()}`, undefined, fx.bot)
		},
		error: { status: 404, request: (fx) => fx.req('GET', `/applications/${app(fx)}/commands/1`, undefined, fx.bot) }
	},
	'PATCH /applications/{application_id}/commands/{command_id}': {
		success: {
			status: 200,
			request: async (fx) =>
				fx.req('PATCH', `/applications/${app(fx)}/commands/${await fx.globalCommand()}`, { description: 'Changed' }, fx.bot)
		},
		error: {
			status: 400,
			request: async (fx) =>
				fx.req('PATCH', `/applications/${app(fx)}/commands/${await fx.globalCommand()}`, { description: 'x'.repeat(101) }, fx.bot)
		}
	},
	'DELETE /applications/{application_id}/commands/{command_id}': {
		success: {
			status: 204,
			request: async (fx) => fx.req('DELETE', `/applications/${app(fx)}/commands/${await fx.globalCommand()}`, undefined, fx.bot)
		},
		error: { status: 404, request: (fx) => fx.req('DELETE', `/applications/${app(fx)}/commands/1`, undefined, fx.bot) }
	},
	'GET /applications/{application_id}/guilds/{guild_id}/commands': {
		success: {
			status: 200,
			request: async (fx) => {
				await fx.guildCommand();
				return fx.req('GET', `/applications/${app(fx)}/guilds/${g(fx)}/commands`, undefined, fx.bot);
			}
		},
		error: { status: 404, request: (fx) => fx.req('GET', `/applications/${app(fx)}/guilds/1/commands`, undefined, fx.bot) }
	},
	'POST /applications/{application_id}/guilds/{guild_id}/commands': {
		success: { status: 201, request: (fx) => fx.req('POST', `/applications/${app(fx)}/guilds/${g(fx)}/commands`, command(), fx.bot) },
		error: {
			status: 400,
			request: (fx) =>
				fx.req(
					'POST',
					`/applications/${app(fx)}/guilds/${g(fx)}/commands`,
					{
						name: 'order',
						description: 'd',
						options: [
							{ type: 3, name: 'a', description: 'a' },
							{ type: 3, name: 'b', description: 'b', required: true }
						]
					},
					fx.bot
				)
		}
	},
	'PUT /applications/{application_id}/guilds/{guild_id}/commands': {
		success: {
			status: 200,
			request: (fx) =>
				fx.req(
					'PUT',
					`/applications/${app(fx)}/guilds/${g(fx)}/commands`,
					[command(), { name: 'conf', description: 'Conformance' }],
					fx.bot
				)
		},
		error: {
			status: 400,
			request: (fx) => fx.req('PUT', `/applications/${app(fx)}/guilds/${g(fx)}/commands`, { name: 'not-a-list' }, fx.bot)
		}
	},
	'GET /applications/{application_id}/guilds/{guild_id}/commands/{command_id}': {
		success: {
			status: 200,
			request: async (fx) =>
				fx.req('GET', `/applications/${app(fx)}/guilds/${g(fx)}/commands/${await fx.guildCommand()}`, undefined, fx.bot)
		},
		error: {
			status: 404,
			request: async (fx) =>
				fx.req('GET', `/applications/${app(fx)}/guilds/${g(fx)}/commands/${await fx.globalCommand()}`, undefined, fx.bot)
		}
	},
	'PATCH /applications/{application_id}/guilds/{guild_id}/commands/{command_id}': {
		success: {
			status: 200,
			request: async (fx) =>
				fx.req(
					'PATCH',
					`/applications/${app(fx)}/guilds/${g(fx)}/commands/${await fx.guildCommand()}`,
					{ default_member_permissions: '32' },
					fx.bot
				)
		},
		error: {
			status: 400,
			request: async (fx) =>
				fx.req('PATCH', `/applications/${app(fx)}/guilds/${g(fx)}/commands/${await fx.guildCommand()}`, { name: 'UPPER' }, fx.bot)
		}
	},
	'DELETE /applications/{application_id}/guilds/{guild_id}/commands/{command_id}': {
		success: {
			status: 204,
			request: async (fx) =>
				fx.req('DELETE', `/applications/${app(fx)}/guilds/${g(fx)}/commands/${await fx.guildCommand()}`, undefined, fx.bot)
		},
		error: { status: 404, request: (fx) => fx.req('DELETE', `/applications/${app(fx)}/guilds/${g(fx)}/commands/1`, undefined, fx.bot) }
	},
	'POST /interactions/{interaction_id}/{interaction_token}/callback': {
		success: {
			status: 200,
			request: async (fx) => {
				const { id, token } = await fx.interaction();
				return fx.req('POST', `/interactions/${id}/${token}/callback?with_response=true`, {
					type: 4,
					data: { content: 'hi', embeds: [{ title: 't', color: 5 }] }
				});
			}
		},
		error: {
			status: 400,
			request: async (fx) => {
				const { id, token } = await fx.answered();
				return fx.req('POST', `/interactions/${id}/${token}/callback`, { type: 4, data: { content: 'again' } });
			}
		}
	},
	'GET /webhooks/{application_id}/{interaction_token}/messages/@original': {
		success: {
			status: 200,
			request: async (fx) => fx.req('GET', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/@original`)
		},
		error: { status: 404, request: (fx) => fx.req('GET', `/webhooks/${app(fx)}/nope/messages/@original`) }
	},
	'PATCH /webhooks/{application_id}/{interaction_token}/messages/@original': {
		success: {
			status: 200,
			request: async (fx) =>
				fx.req('PATCH', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/@original`, {
					content: 'edited',
					components: [{ type: 1, components: [{ type: 2, style: 1, custom_id: 'b', label: 'B' }] }]
				})
		},
		error: {
			status: 400,
			request: async (fx) =>
				fx.req('PATCH', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/@original`, { content: 'x'.repeat(2001) })
		}
	},
	'DELETE /webhooks/{application_id}/{interaction_token}/messages/@original': {
		success: {
			status: 204,
			request: async (fx) => fx.req('DELETE', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/@original`)
		},
		error: {
			status: 404,
			request: async (fx) => fx.req('DELETE', `/webhooks/${app(fx)}/${(await fx.interaction()).token}/messages/@original`)
		}
	},
	'POST /webhooks/{application_id}/{interaction_token}': {
		success: {
			status: 200,
			request: async (fx) => fx.req('POST', `/webhooks/${app(fx)}/${(await fx.answered()).token}`, { content: 'follow-up', flags: 64 })
		},
		error: {
			status: 404,
			request: async (fx) => fx.req('POST', `/webhooks/${app(fx)}/${(await fx.interaction()).token}`, { content: 'too early' })
		}
	},
	'GET /webhooks/{application_id}/{interaction_token}/messages/{message_id}': {
		success: {
			status: 200,
			request: async (fx) => {
				const { token, messageId } = await fx.followUp();
				return fx.req('GET', `/webhooks/${app(fx)}/${token}/messages/${messageId}`);
			}
		},
		error: { status: 404, request: async (fx) => fx.req('GET', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/1`) }
	},
	'PATCH /webhooks/{application_id}/{interaction_token}/messages/{message_id}': {
		success: {
			status: 200,
			request: async (fx) => {
				const { token, messageId } = await fx.followUp();
				return fx.req('PATCH', `/webhooks/${app(fx)}/${token}/messages/${messageId}`, { content: 'changed follow-up' });
			}
		},
		error: {
			status: 404,
			request: async (fx) => fx.req('PATCH', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/1`, { content: 'x' })
		}
	},
	'DELETE /webhooks/{application_id}/{interaction_token}/messages/{message_id}': {
		success: {
			status: 204,
			request: async (fx) => {
				const { token, messageId } = await fx.followUp();
				return fx.req('DELETE', `/webhooks/${app(fx)}/${token}/messages/${messageId}`);
			}
		},
		error: { status: 404, request: async (fx) => fx.req('DELETE', `/webhooks/${app(fx)}/${(await fx.answered()).token}/messages/1`) }
	},
	'GET /channels/{channel_id}': {
		success: { status: 200, request: (fx) => fx.req('GET', `/channels/${fx.emulator.seed.channels.lounge}`, undefined, fx.bot) },
		error: { status: 404, request: (fx) => fx.req('GET', '/channels/1', undefined, fx.bot) }
	},
	'GET /channels/{channel_id}/messages': {
		success: {
			status: 200,
			request: async (fx) => {
				await fx.botMessage();
				fx.emulator.sendMessage({ guild_id: g(fx), channel_id: general(fx), user_id: fx.emulator.seed.users.ada, content: 'person' });
				return fx.req('GET', `/channels/${general(fx)}/messages?limit=10`, undefined, fx.bot);
			}
		},
		error: { status: 400, request: (fx) => fx.req('GET', `/channels/${general(fx)}/messages?limit=1000`, undefined, fx.bot) }
	},
	'POST /channels/{channel_id}/messages': {
		success: {
			status: 200,
			request: (fx) =>
				fx.req(
					'POST',
					`/channels/${general(fx)}/messages`,
					{
						content: `hello <@${fx.emulator.seed.users.ada}>`,
						embeds: [
							{
								title: 'T',
								description: 'D',
								fields: [{ name: 'n', value: 'v', inline: true }],
								footer: { text: 'f' },
								author: { name: 'a' }
							}
						],
						components: [{ type: 1, components: [{ type: 3, custom_id: 'sel', options: [{ label: 'L', value: 'v' }] }] }],
						nonce: '123'
					},
					fx.bot
				)
		},
		error: { status: 400, request: (fx) => fx.req('POST', `/channels/${general(fx)}/messages`, { content: '' }, fx.bot) }
	},
	'GET /channels/{channel_id}/messages/{message_id}': {
		success: {
			status: 200,
			request: async (fx) => fx.req('GET', `/channels/${general(fx)}/messages/${await fx.botMessage()}`, undefined, fx.bot)
		},
		error: { status: 404, request: (fx) => fx.req('GET', `/channels/${general(fx)}/messages/1`, undefined, fx.bot) }
	},
	'PATCH /channels/{channel_id}/messages/{message_id}': {
		success: {
			status: 200,
			request: async (fx) => fx.req('PATCH', `/channels/${general(fx)}/messages/${await fx.botMessage()}`, { content: 'edited' }, fx.bot)
		},
		error: {
			status: 403,
			request: (fx) => {
				const message = fx.emulator.sendMessage({
					guild_id: g(fx),
					channel_id: general(fx),
					user_id: fx.emulator.seed.users.ada,
					content: 'mine'
				});
				return fx.req('PATCH', `/channels/${general(fx)}/messages/${message.id}`, { content: 'not yours' }, fx.bot);
			}
		}
	},
	'DELETE /channels/{channel_id}/messages/{message_id}': {
		success: {
			status: 204,
			request: async (fx) => fx.req('DELETE', `/channels/${general(fx)}/messages/${await fx.botMessage()}`, undefined, fx.bot)
		},
		error: { status: 404, request: (fx) => fx.req('DELETE', `/channels/${general(fx)}/messages/1`, undefined, fx.bot) }
	},
	'GET /guilds/{guild_id}': {
		success: { status: 200, request: (fx) => fx.req('GET', `/guilds/${g(fx)}?with_counts=true`, undefined, fx.bot) },
		error: { status: 404, request: (fx) => fx.req('GET', '/guilds/1', undefined, fx.bot) }
	},
	'GET /guilds/{guild_id}/channels': {
		success: { status: 200, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/channels`, undefined, fx.bot) },
		error: { status: 404, request: (fx) => fx.req('GET', '/guilds/1/channels', undefined, fx.bot) }
	},
	'GET /guilds/{guild_id}/roles': {
		success: { status: 200, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/roles`, undefined, fx.bot) },
		error: { status: 404, request: (fx) => fx.req('GET', '/guilds/1/roles', undefined, fx.bot) }
	},
	'POST /guilds/{guild_id}/roles': {
		success: {
			status: 200,
			request: (fx) => fx.req('POST', `/guilds/${g(fx)}/roles`, { name: 'Conformance', permissions: '1024', color: 0x2ecc71 }, fx.bot)
		},
		error: {
			status: 403,
			// Administrator: a permission the bot does not have itself cannot be granted.
			request: (fx) => fx.req('POST', `/guilds/${g(fx)}/roles`, { name: 'Too strong', permissions: '8' }, fx.bot)
		}
	},
	'PATCH /guilds/{guild_id}/roles/{role_id}': {
		success: {
			status: 200,
			request: async (fx) => {
				const { id } = fx.emulator.createRole({ guild_id: g(fx), name: 'Renamed soon' }) as { id: string };
				return fx.req('PATCH', `/guilds/${g(fx)}/roles/${id}`, { name: 'Renamed', hoist: true, mentionable: true }, fx.bot);
			}
		},
		error: {
			status: 403,
			// The bot's own role is not below its highest role.
			request: (fx) => fx.req('PATCH', `/guilds/${g(fx)}/roles/${fx.emulator.seed.roles.bot}`, { name: 'Mine' }, fx.bot)
		}
	},
	'GET /guilds/{guild_id}/members': {
		success: { status: 200, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/members?limit=100`, undefined, fx.bot) },
		error: { status: 400, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/members?limit=0`, undefined, fx.bot) }
	},
	'GET /guilds/{guild_id}/members/search': {
		success: { status: 200, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/members/search?query=gr&limit=10`, undefined, fx.bot) },
		error: { status: 400, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/members/search?limit=10`, undefined, fx.bot) }
	},
	'GET /guilds/{guild_id}/members/{user_id}': {
		success: { status: 200, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/members/${fx.emulator.seed.users.grace}`, undefined, fx.bot) },
		error: { status: 404, request: (fx) => fx.req('GET', `/guilds/${g(fx)}/members/1`, undefined, fx.bot) }
	},
	'PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}': {
		success: {
			status: 204,
			request: (fx) =>
				fx.req('PUT', `/guilds/${g(fx)}/members/${fx.emulator.seed.users.linus}/roles/${fx.emulator.seed.roles.member}`, undefined, fx.bot)
		},
		error: {
			status: 403,
			request: (fx) =>
				fx.req('PUT', `/guilds/${g(fx)}/members/${fx.emulator.seed.users.linus}/roles/${fx.emulator.seed.roles.bot}`, undefined, fx.bot)
		}
	},
	'DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}': {
		success: {
			status: 204,
			request: (fx) =>
				fx.req(
					'DELETE',
					`/guilds/${g(fx)}/members/${fx.emulator.seed.users.grace}/roles/${fx.emulator.seed.roles.admin}`,
					undefined,
					fx.bot
				)
		},
		error: {
			status: 404,
			request: (fx) => fx.req('DELETE', `/guilds/${g(fx)}/members/${fx.emulator.seed.users.grace}/roles/1`, undefined, fx.bot)
		}
	},
	'POST /oauth2/token': {
		success: {
			status: 200,
			request: async (fx) =>
				fx.req('POST', '/oauth2/token', {
					grant_type: 'authorization_code',
					code: await fx.authCode(),
					redirect_uri: 'http://localhost/cb',
					client_id: app(fx),
					client_secret: SANDBOX_CLIENT_SECRET
				})
		},
		error: {
			status: 400,
			request: (fx) =>
				fx.req('POST', '/oauth2/token', {
					grant_type: 'authorization_code',
					code: 'bogus',
					redirect_uri: 'http://localhost/cb',
					client_id: app(fx),
					client_secret: SANDBOX_CLIENT_SECRET
				})
		}
	},
	'POST /oauth2/token/revoke': {
		success: {
			status: 200,
			request: (fx) =>
				fx.req('POST', '/oauth2/token/revoke', { token: 'whatever', client_id: app(fx), client_secret: SANDBOX_CLIENT_SECRET })
		},
		error: {
			status: 401,
			request: (fx) => fx.req('POST', '/oauth2/token/revoke', { token: 'whatever', client_id: app(fx), client_secret: 'wrong' })
		}
	}
};

describe('REST conformance with the Discord OpenAPI spec', () => {
	let emulator: Emulator;
	let socket: RawGateway;
	let fx: Fixture;

	beforeAll(async () => {
		emulator = await startEmulator({ rateLimitPerSecond: 10_000, routeLimits: {}, globalRateLimitPerSecond: 10_000 });
		// A bare gateway session receives the interactions the webhook cases answer.
		socket = await RawGateway.open(emulator);
		await socket.identify(emulator.botToken, 1);
		const bot = { Authorization: `Bot ${emulator.botToken}` };
		const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
			call(emulator, method, `/api/v10${path}`, body, headers);
		const created = async (path: string) => {
			const res = await req('POST', path, command(), bot);
			if (res.status !== 201) throw new Error(`command setup failed: ${res.text}`);
			return (res.body as { id: string }).id;
		};
		const guildPath = `/applications/${emulator.applicationId}/guilds/${emulator.seed.guildId}/commands`;
		await req('POST', guildPath, { name: 'conf', description: 'Conformance' }, bot);
		const interaction = () => pendingInteraction(emulator, socket, { command: 'conf' });
		const answered = async () => {
			const i = await interaction();
			const res = await req('POST', `/interactions/${i.id}/${i.token}/callback`, { type: 4, data: { content: 'answer' } });
			if (res.status !== 204) throw new Error(`callback setup failed: ${res.text}`);
			return i;
		};
		fx = {
			emulator,
			bot,
			req,
			globalCommand: () => created(`/applications/${emulator.applicationId}/commands`),
			guildCommand: () => created(guildPath),
			interaction,
			answered,
			followUp: async () => {
				const { token } = await answered();
				const res = await req('POST', `/webhooks/${emulator.applicationId}/${token}`, { content: 'follow-up' });
				return { token, messageId: (res.body as { id: string }).id };
			},
			botMessage: async () => {
				const res = await req('POST', `/channels/${emulator.seed.channels.general}/messages`, { content: 'from the bot' }, bot);
				return (res.body as { id: string }).id;
			},
			authCode: async () => {
				const query = new URLSearchParams({
					client_id: emulator.applicationId,
					redirect_uri: 'http://localhost/cb',
					response_type: 'code',
					scope: 'identify',
					login_as: 'ada'
				});
				const res = await call(emulator, 'GET', `/oauth2/authorize?${query}`);
				return new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
			}
		};
	});

	afterAll(async () => {
		socket?.close();
		await emulator?.stop();
	});

	it('GIVEN the route table THEN every route has a success and an error case, and no case is stale', () => {
		const keys = routes.map(routeKey);
		const missing = keys.filter((key) => !cases[key]?.success || !cases[key]?.error);
		expect(missing, 'routes without conformance cases').toEqual([]);
		expect(
			Object.keys(cases).filter((key) => !keys.includes(key)),
			'cases for routes that do not exist'
		).toEqual([]);
		expect(new Set(keys).size).toBe(keys.length);
	});

	it('GIVEN a route with an operationId THEN the spec has that operation at the same path and method', () => {
		for (const route of routes) {
			if (!route.operationId) {
				expect(OAUTH_SCHEMAS[routeKey(route)], `${routeKey(route)} has neither an operationId nor a local schema`).toBeDefined();
				continue;
			}
			const path = specPathFor(route);
			expect(path, `${routeKey(route)} not found in the spec`).toBeDefined();
			expect(spec.paths[path ?? '']?.[route.method.toLowerCase()]?.operationId).toBe(route.operationId);
		}
	});

	describe.each(routes.map((route) => [routeKey(route), route] as const))('%s', (key, route) => {
		it.each(['success', 'error'] as const)('GIVEN the %s case THEN status and body match the spec', async (kind) => {
			const testCase = cases[key]?.[kind];
			if (!testCase) throw new Error(`no ${kind} case for ${key}`);
			const res = await testCase.request(fx);
			expect(res.status, res.text).toBe(testCase.status);
			if (kind === 'success') expect(res.status).toBeLessThan(300);
			else expect(res.status).toBeGreaterThanOrEqual(400);
			if (res.status === 204) {
				expect(res.text).toBe('');
				if (route.operationId) expect(responseSchemaRef(route, 204).statusKey).toBe('204');
				return;
			}
			let validate: ValidateFunction;
			if (route.operationId) {
				const { ref } = responseSchemaRef(route, res.status);
				if (!ref) throw new Error(`${key} documents no JSON body for ${res.status}`);
				validate = validatorFor(ref);
			} else {
				validate = ajv.compile(OAUTH_SCHEMAS[key]?.[kind] ?? {});
			}
			const valid = validate(res.body);
			expect(valid, `${key} ${res.status}: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${res.text.slice(0, 2000)}`).toBe(true);
		});
	});

	it('GIVEN the schemas THEN they really reject wrong bodies (the check can fail)', () => {
		const route = routes.find((r) => r.operationId === 'get_user');
		if (!route) throw new Error('get_user missing');
		const validate = validatorFor(responseSchemaRef(route, 200).ref ?? '');
		expect(validate({ id: '1', username: 'x' })).toBe(false);
		const errorValidate = validatorFor(responseSchemaRef(route, 404).ref ?? '');
		expect(errorValidate({ message: 'no code' })).toBe(false);
		expect(errorValidate({ message: 'Unknown User', code: 10013 })).toBe(true);
	});
});
