import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { GatewayDispatchEvents, GatewayIntentBits } from 'discord-api-types/v10';
import { SandboxActions } from './actions.ts';
import { type BulkWorld, populateWorld } from './bulk.ts';
import type { ContextSettings, EmulatorStats, SandboxContext } from './context.ts';
import type { ControlReply, EmulatorSnapshot } from './control.ts';
import { ControlApi } from './control.ts';
import { FaultInjector } from './faults.ts';
import { Gateway, PRIVILEGED_INTENTS } from './gateway.ts';
import { IDENTIFY_BUCKET_MS } from './gateway-limits.ts';
import { sendJson } from './http.ts';
import { InteractionStore } from './interactions.ts';
import type { EmulatorLogger } from './logger.ts';
import { silentLogger } from './logger.ts';
import { requestGuildMembers } from './members.ts';
import { consentPage, OAuthStore, parseCodeChallenge } from './oauth.ts';
import type { BucketLimit } from './ratelimit.ts';
import { RateLimiter, ROUTE_LIMITS } from './ratelimit.ts';
import { routes } from './rest/routes.ts';
import { RestServer } from './rest/server.ts';
import { DefaultRestLimitOptions, RestLimits } from './rest-limits.ts';
import type { SandboxSeed } from './seed.ts';
import { buildSeed, SANDBOX_APPLICATION_ID, SANDBOX_BOT_TOKEN, SANDBOX_CLIENT_SECRET, SANDBOX_SEED } from './seed.ts';
import { toApiUser, toGatewayGuildCreate } from './serialize.ts';
import { SandboxState } from './state.ts';
import { Traffic } from './traffic.ts';
import { precompileRequestSchemas } from './validate/index.ts';

/** Options of {@link Emulator}; every one has a default. */
export interface EmulatorOptions {
	/** Interface to bind. @default '127.0.0.1' */
	host?: string;
	/** Port to bind; 0 picks a free one. @default 0 */
	port?: number;
	/** Bot token the gateway and REST accept. @default SANDBOX_BOT_TOKEN */
	botToken?: string;
	/** OAuth2 client secret. @default SANDBOX_CLIENT_SECRET */
	clientSecret?: string;
	/** HELLO heartbeat interval. @default 41250 */
	heartbeatIntervalMs?: number;
	/** How long a disconnected session stays resumable. @default 120000 */
	sessionTtlMs?: number;
	/** How long the bot has to acknowledge an interaction before 10062. @default 3000 */
	interactionAckTimeoutMs?: number;
	/** How long the control API waits for the bot's visible reply before 504. @default 10000 */
	replyTimeoutMs?: number;
	/** `shards` recommended by `GET /gateway/bot`. @default 1 */
	shards?: number;
	/** `session_start_limit.max_concurrency` of `GET /gateway/bot`: IDENTIFY buckets (`shard_id % max_concurrency`). @default 1 */
	maxConcurrency?: number;
	/** `session_start_limit.total`: sessions the bot may start per `sessionStartResetMs`; past it, the token is reset. @default 1000 */
	sessionStartTotal?: number;
	/** When the session start budget comes back after the period's first IDENTIFY. @default 86400000 (24 h) */
	sessionStartResetMs?: number;
	/** One IDENTIFY per `max_concurrency` bucket per this many ms; another gets INVALID_SESSION. @default 5000 */
	identifyBucketMs?: number;
	/** Requests per second per REST bucket without a Discord-specific size (see `ROUTE_LIMITS`) before a real 429. @default 50 */
	rateLimitPerSecond?: number;
	/**
	 * Discord's sizes of particular buckets (message creation 5 per 5 s per channel, member roles 10 per 10 s per
	 * guild, …) by route key; `{}` gives every route the default bucket (for tests that fire raw requests at one route).
	 * @default ROUTE_LIMITS
	 */
	routeLimits?: Readonly<Record<string, BucketLimit>>;
	/** REST requests per second per bot token across routes (interaction endpoints exempt). @default 50 */
	globalRateLimitPerSecond?: number;
	/** 401/403/429 answers per 10 minutes before the token is banned (Cloudflare). @default 10000 */
	invalidRequestLimit?: number;
	/** How long that ban lasts. @default 3600000 (1 h) */
	invalidRequestBanMs?: number;
	/** The emulator's clock: interaction deadlines, token expiry and rate limits read it (tests move it forward). @default Date.now */
	clock?: () => number;
	/** Privileged intents the app is allowed (others close with 4014). @default all three */
	allowedPrivilegedIntents?: number;
	/** Where the emulator logs; silent by default. */
	logger?: EmulatorLogger;
}

/** Every option with its default, in one place. */
export const DefaultEmulatorOptions = {
	host: '127.0.0.1',
	port: 0,
	botToken: SANDBOX_BOT_TOKEN,
	clientSecret: SANDBOX_CLIENT_SECRET,
	heartbeatIntervalMs: 41_250,
	sessionTtlMs: 120_000,
	interactionAckTimeoutMs: 3_000,
	replyTimeoutMs: 10_000,
	shards: 1,
	maxConcurrency: 1,
	sessionStartTotal: 1000,
	sessionStartResetMs: 86_400_000,
	identifyBucketMs: IDENTIFY_BUCKET_MS,
	rateLimitPerSecond: 50,
	routeLimits: ROUTE_LIMITS,
	globalRateLimitPerSecond: DefaultRestLimitOptions.globalPerSecond,
	invalidRequestLimit: DefaultRestLimitOptions.invalidRequestLimit,
	invalidRequestBanMs: DefaultRestLimitOptions.banMs,
	clock: Date.now,
	allowedPrivilegedIntents: PRIVILEGED_INTENTS,
	logger: silentLogger
} satisfies Required<EmulatorOptions>;

/**
 * A local Discord API v10 (REST, gateway, OAuth2) plus a control API, on one port.
 * A stock discord.js client connects to it with `rest: { api: emulator.restUrl }`.
 *
 * @example
 * const emulator = new Emulator();
 * await emulator.start();
 * const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: emulator.restUrl } });
 * await client.login(emulator.botToken);
 */
export class Emulator {
	readonly botToken: string;
	readonly applicationId = SANDBOX_APPLICATION_ID;
	readonly botUserId = SANDBOX_APPLICATION_ID;
	readonly seed: SandboxSeed = SANDBOX_SEED;
	readonly stats: EmulatorStats = { identifies: 0, resumes: 0, restRequests: 0, restByRoute: {}, rateLimited: 0, serverErrors: 0 };
	/** The bot's REST requests and gateway sends against Discord's limits (also in `GET /_emulator/state`). */
	readonly traffic = new Traffic();

	readonly #options: Required<EmulatorOptions>;
	readonly #state: SandboxState;
	readonly #gateway: Gateway;
	readonly #rest: RestServer;
	readonly #control: ControlApi;
	readonly #ctx: SandboxContext;
	#server: Server | null = null;
	#port = 0;
	#stopping: Promise<void> | null = null;

	constructor(options: EmulatorOptions = {}) {
		const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
		this.#options = { ...DefaultEmulatorOptions, ...defined } as Required<EmulatorOptions>;
		const o = this.#options;
		this.botToken = o.botToken;
		this.#state = new SandboxState(this.botUserId);
		this.#state.load(buildSeed());
		const state = this.#state;
		this.#gateway = new Gateway({
			token: o.botToken,
			botUserId: this.botUserId,
			applicationId: this.applicationId,
			heartbeatIntervalMs: o.heartbeatIntervalMs,
			sessionTtlMs: o.sessionTtlMs,
			allowedPrivilegedIntents: o.allowedPrivilegedIntents,
			logger: o.logger,
			sessionStart: {
				total: o.sessionStartTotal,
				resetAfterMs: o.sessionStartResetMs,
				maxConcurrency: o.maxConcurrency,
				bucketMs: o.identifyBucketMs
			},
			now: () => o.clock(),
			gatewayUrl: () => this.gatewayUrl,
			botUser: () => toApiUser(state.requireUser(this.botUserId)),
			guildIds: () => [...state.guilds.values()].filter((g) => g.members.has(this.botUserId)).map((g) => g.id),
			guildCreate: (id, view) => toGatewayGuildCreate(state, state.requireGuild(id), view),
			requestGuildMembers: (view, onShard, data) => requestGuildMembers(state, view, onShard, data),
			onClientPayload: (connection, op) => this.traffic.noteGatewaySend(connection, op),
			onIdentify: () => {
				this.stats.identifies++;
			},
			onResume: () => {
				this.stats.resumes++;
			}
		});
		const settings: ContextSettings = {
			clientSecret: o.clientSecret,
			replyTimeoutMs: o.replyTimeoutMs,
			recommendedShards: o.shards,
			allowedPrivilegedIntents: o.allowedPrivilegedIntents
		};
		this.#ctx = {
			state,
			actions: new SandboxActions(state, this.#gateway),
			gateway: this.#gateway,
			interactions: new InteractionStore({ now: () => o.clock(), ackTimeoutMs: o.interactionAckTimeoutMs }),
			oauth: new OAuthStore(),
			faults: new FaultInjector(),
			restLimits: new RestLimits({
				globalPerSecond: o.globalRateLimitPerSecond,
				invalidRequestLimit: o.invalidRequestLimit,
				banMs: o.invalidRequestBanMs
			}),
			stats: this.stats,
			traffic: this.traffic,
			settings,
			logger: o.logger,
			applicationId: this.applicationId,
			botUserId: this.botUserId,
			botToken: o.botToken,
			gatewayUrl: () => this.gatewayUrl,
			baseUrl: () => this.baseUrl,
			now: () => o.clock()
		};
		this.#rest = new RestServer(this.#ctx, new RateLimiter(o.rateLimitPerSecond, 1000, o.routeLimits));
		this.#control = new ControlApi(this.#ctx, () => this.#resetWorld());
	}

	/** Bound port (valid after {@link start}). */
	get port(): number {
		this.#assertStarted();
		return this.#port;
	}

	/** `http://host:port`. */
	get baseUrl(): string {
		this.#assertStarted();
		return `http://${this.#options.host}:${this.#port}`;
	}

	/** What discord.js gets as `rest.api`: `${baseUrl}/api`. */
	get restUrl(): string {
		return `${this.baseUrl}/api`;
	}

	/** The gateway WebSocket URL handed out by `GET /gateway/bot`. */
	get gatewayUrl(): string {
		this.#assertStarted();
		return `ws://${this.#options.host}:${this.#port}/gateway`;
	}

	/** Binds the server. */
	async start(): Promise<void> {
		if (this.#server) return;
		// Request schemas compile once per process, in the background while the bot starts: compiling on a first
		// interaction callback would eat into its 3-second acknowledgement window. The callback goes first.
		const operations = routes.flatMap((r) => (r.operationId ? [r.operationId] : []));
		void precompileRequestSchemas(
			operations.sort((a, b) => Number(b === 'create_interaction_response') - Number(a === 'create_interaction_response'))
		);
		const server = createServer((req, res) => {
			this.#route(req, res).catch((error: unknown) => {
				this.#options.logger.error({ err: error }, 'sandbox request failed');
				if (!res.headersSent) sendJson(res, 500, { message: '500: Internal Server Error', code: 0 });
				else res.destroy();
			});
		});
		server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
			const path = new URL(req.url ?? '/', 'http://localhost').pathname;
			if (path === '/gateway' || path === '/gateway/') this.#gateway.handleUpgrade(req, socket, head);
			else socket.destroy();
		});
		// Keep-alive sockets from discord.js (undici) would hold stop() open otherwise.
		server.keepAliveTimeout = 5_000;
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(this.#options.port, this.#options.host, () => {
				server.off('error', reject);
				resolve();
			});
		});
		this.#server = server;
		this.#port = (server.address() as AddressInfo).port;
		this.#stopping = null;
		this.#options.logger.info({ url: this.baseUrl }, 'Discord sandbox emulator listening');
	}

	/** Closes every socket and the server; safe to call twice. */
	async stop(): Promise<void> {
		const server = this.#server;
		if (!server) return this.#stopping ?? undefined;
		this.#server = null;
		this.#stopping = (async () => {
			this.#gateway.close();
			const closed = new Promise<void>((resolve) => server.close(() => resolve()));
			server.closeAllConnections();
			await closed;
		})();
		return this.#stopping;
	}

	/** A person posts a message (see `POST /_emulator/messages`). */
	sendMessage(input: Parameters<ControlApi['sendMessage']>[0]): Record<string, unknown> {
		return this.#control.sendMessage(input);
	}

	/**
	 * Many messages at once, each exactly as {@link Emulator.sendMessage} would send it, their frames written together
	 * (for load tests and benchmarks: per message it costs a fraction of single sends). Returns how many were sent.
	 */
	sendMessages(inputs: Parameters<ControlApi['sendMessage']>[0][]): number {
		return this.#gateway.batch(() => {
			for (const input of inputs) this.#control.sendMessage(input);
			return inputs.length;
		});
	}

	/** A person reacts (see `POST /_emulator/reactions`). */
	addReaction(input: Parameters<ControlApi['addReaction']>[0]): { ok: true } {
		return this.#control.addReaction(input);
	}

	/** A user joins a guild (see `POST /_emulator/members`). */
	joinMember(input: Parameters<ControlApi['joinMember']>[0]): Record<string, unknown> {
		return this.#control.joinMember(input);
	}

	/** A person joins/leaves voice (see `POST /_emulator/voice`). */
	setVoice(input: Parameters<ControlApi['setVoice']>[0]): { ok: true } {
		return this.#control.setVoice(input);
	}

	/** A person runs a slash command; resolves with the bot's visible reply (see `POST /_emulator/interactions`). */
	runInteraction(input: Parameters<ControlApi['runInteraction']>[0]): Promise<ControlReply> {
		return this.#control.runInteraction(input);
	}

	/** A person presses a component (see `POST /_emulator/components`). */
	pressComponent(input: Parameters<ControlApi['pressComponent']>[0]): Promise<ControlReply> {
		return this.#control.pressComponent(input);
	}

	/** Channel history, oldest first. */
	channelMessages(channelId: string): Array<Record<string, unknown>> {
		return this.#control.channelMessages(channelId);
	}

	/** Commands visible in a guild. */
	guildCommands(guildId: string): Array<Record<string, unknown>> {
		return this.#control.guildCommands(guildId);
	}

	/** Injects REST or gateway faults (see `POST /_emulator/faults`). */
	injectFault(input: Parameters<ControlApi['injectFault']>[0]): { ok: true; affected: number } {
		return this.#control.injectFault(input);
	}

	/** Disarms every pending fault (see `DELETE /_emulator/faults`). */
	clearFaults(): { ok: true; affected: number } {
		return this.#control.clearFaults();
	}

	/**
	 * Adds many guilds with channels and members at once, dispatching nothing: call it before a bot connects (its
	 * READY then lists them). For benchmarks at scale. Answers the new guilds' ids.
	 */
	populate(world: BulkWorld): string[] {
		return populateWorld(this.#state, world);
	}

	/** Creates another guild (see `POST /_emulator/guilds`). */
	createGuild(input: Parameters<ControlApi['createGuild']>[0]): ReturnType<ControlApi['createGuild']> {
		return this.#control.createGuild(input);
	}

	/** Creates a role, at `position` or just above `@everyone` (see `POST /_emulator/roles`). Returns the role JSON. */
	createRole(input: Parameters<ControlApi['createRole']>[0]): Record<string, unknown> {
		return this.#control.createRole(input);
	}

	/** Edits or moves a role as the owner would (see `PATCH /_emulator/roles/:id`). Returns the role JSON. */
	updateRole(roleId: string, input: Parameters<ControlApi['updateRole']>[1]): Record<string, unknown> {
		return this.#control.updateRole(roleId, input);
	}

	/** Sets a channel permission overwrite (see `PUT /_emulator/channels/:id/permissions/:overwrite_id`). */
	setChannelOverwrite(
		channelId: string,
		overwriteId: string,
		input: Parameters<ControlApi['setChannelOverwrite']>[2]
	): ReturnType<ControlApi['setChannelOverwrite']> {
		return this.#control.setChannelOverwrite(channelId, overwriteId, input);
	}

	/** Removes a channel permission overwrite (see `DELETE /_emulator/channels/:id/permissions/:overwrite_id`). */
	deleteChannelOverwrite(channelId: string, overwriteId: string): ReturnType<ControlApi['deleteChannelOverwrite']> {
		return this.#control.deleteChannelOverwrite(channelId, overwriteId);
	}

	/** Sets a member's roles as an admin would (see `PATCH /_emulator/guilds/:id/members/:user_id`). */
	updateMember(guildId: string, userId: string, input: Parameters<ControlApi['updateMember']>[2]): Record<string, unknown> {
		return this.#control.updateMember(guildId, userId, input);
	}

	/** Overrides who may use a command in a guild (see `PUT /_emulator/guilds/:id/commands/:name/permissions`). */
	setCommandPermissions(
		guildId: string,
		name: string,
		input: Parameters<ControlApi['setCommandPermissions']>[2]
	): ReturnType<ControlApi['setCommandPermissions']> {
		return this.#control.setCommandPermissions(guildId, name, input);
	}

	/** Restores the seed (see `POST /_emulator/reset`). */
	reset(): void {
		this.#control.reset({});
	}

	/** The world as `GET /_emulator/state` shows it. */
	snapshot(): EmulatorSnapshot {
		return this.#control.snapshot();
	}

	#assertStarted(): void {
		if (!this.#server && this.#port === 0) throw new Error('Emulator is not started: call start() first');
	}

	/**
	 * Reloads the seed and tells connected bots: guilds that no longer exist are deleted,
	 * seed guilds go unavailable and come back with their seeded content.
	 */
	#resetWorld(): void {
		const before = [...this.#state.guilds.keys()];
		this.#state.load(buildSeed());
		this.#ctx.interactions.clear();
		this.#ctx.faults.clear();
		this.#rest.resetBuckets();
		this.#gateway.resetLimits();
		for (const id of before) {
			const still = this.#state.guilds.has(id);
			this.#gateway.dispatch(GatewayDispatchEvents.GuildDelete, still ? { id, unavailable: true } : { id }, {
				guildId: id,
				intent: GatewayIntentBits.Guilds
			});
			if (still) {
				const guild = this.#state.requireGuild(id);
				this.#gateway.dispatch(GatewayDispatchEvents.GuildCreate, null, {
					guildId: id,
					intent: GatewayIntentBits.Guilds,
					perSession: (view) => toGatewayGuildCreate(this.#state, guild, view)
				});
			}
		}
	}

	async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://localhost');
		const path = url.pathname;
		if (path.startsWith('/_emulator/')) return this.#control.handle(req, res, path.slice('/_emulator'.length));
		const api = /^\/api(?:\/v\d+)?(\/.*)$/.exec(path);
		const apiPath = api?.[1];
		if (path === '/oauth2/authorize' || apiPath === '/oauth2/authorize') return this.#authorize(req, res, url.searchParams);
		if (apiPath !== undefined) return this.#rest.handle(req, res, apiPath, url.searchParams);
		if (path === '/') {
			return sendJson(res, 200, { name: 'Facet Discord sandbox', rest: this.restUrl, gateway: this.gatewayUrl, seed: this.seed });
		}
		req.resume();
		return sendJson(res, 404, { message: '404: Not Found', code: 0 });
	}

	/** `GET /oauth2/authorize`: auto-approves as `login_as`, or lists the sandbox people to pick from. */
	#authorize(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
		req.resume();
		const fail = (description: string) => sendJson(res, 400, { error: 'invalid_request', error_description: description });
		if (req.method !== 'GET') {
			sendJson(res, 405, { message: '405: Method Not Allowed', code: 0 });
			return;
		}
		if (query.get('client_id') !== this.applicationId) {
			fail('Invalid client_id');
			return;
		}
		if (query.get('response_type') !== 'code') {
			fail('Unsupported response_type: only "code" is supported');
			return;
		}
		const redirect = query.get('redirect_uri');
		let redirectUrl: URL;
		try {
			redirectUrl = new URL(redirect ?? '');
			if (redirectUrl.protocol !== 'http:' && redirectUrl.protocol !== 'https:') throw new Error('scheme');
		} catch {
			fail('Invalid redirect_uri');
			return;
		}
		const scope = (query.get('scope') ?? '').trim();
		if (!scope) {
			fail('Missing scope');
			return;
		}
		const pkce = parseCodeChallenge(query);
		if ('error' in pkce) {
			fail(pkce.error);
			return;
		}
		const loginAs = query.get('login_as');
		const people = [...this.#state.users.values()].filter((u) => !u.bot);
		if (!loginAs) {
			const html = consentPage(people, query, this.#state.requireUser(this.botUserId).username);
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
			res.end(html);
			return;
		}
		const user = this.#state.findUser(loginAs);
		if (!user || user.bot) {
			fail(`Unknown sandbox user "${loginAs}"`);
			return;
		}
		const code = this.#ctx.oauth.issueCode(user, redirect ?? '', scope.replace(/\+/g, ' '), pkce.challenge);
		redirectUrl.searchParams.set('code', code);
		const state = query.get('state');
		if (state !== null) redirectUrl.searchParams.set('state', state);
		res.writeHead(302, { Location: redirectUrl.toString() });
		res.end();
	}
}
