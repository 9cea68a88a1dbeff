import type { ClientOptions } from 'discord.js';
import { Client, GatewayIntentBits } from 'discord.js';
import type { EmulatorOptions } from '../../src/sandbox/index.ts';
import { Emulator } from '../../src/sandbox/index.ts';

/** Every intent the sandbox supports, what Facet itself identifies with. */
export const ALL_INTENTS = [
	GatewayIntentBits.Guilds,
	GatewayIntentBits.GuildMembers,
	GatewayIntentBits.GuildMessages,
	GatewayIntentBits.GuildMessageReactions,
	GatewayIntentBits.GuildVoiceStates,
	GatewayIntentBits.MessageContent
];

/** A started emulator; remember to stop it. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	const emulator = new Emulator(options);
	await emulator.start();
	return emulator;
}

/** A stock discord.js client pointed at the emulator, logged in and ready (guilds cached). */
export async function connectClient(emulator: Emulator, options: Partial<ClientOptions> = {}): Promise<Client<true>> {
	const { intents, rest, ...others } = options;
	// Cast: plugins augment ClientOptions with required keys (e.g. scheduled-tasks' `tasks`) a stock client does not need.
	const client = new Client({ ...others, intents: intents ?? ALL_INTENTS, rest: { ...rest, api: emulator.restUrl } } as ClientOptions);
	const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
	await client.login(emulator.botToken);
	await ready;
	return client as Client<true>;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** JSON fetch against the emulator. */
export async function call(
	emulator: Emulator,
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = {}
): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
	const init: RequestInit = { method, headers: { ...headers }, redirect: 'manual' };
	if (body !== undefined) {
		init.body = typeof body === 'string' ? body : JSON.stringify(body);
		(init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
	}
	const res = await fetch(`${emulator.baseUrl}${path}`, init);
	const text = await res.text();
	let parsed: unknown;
	try {
		parsed = text ? JSON.parse(text) : undefined;
	} catch {
		parsed = undefined;
	}
	return { status: res.status, body: parsed, text, headers: res.headers };
}

/** A gateway payload as received. */
export interface GatewayPayload {
	op: number;
	d: unknown;
	s: number | null;
	t: string | null;
}

/** A bare WebSocket gateway client, for protocol details discord.js hides (close codes, missed heartbeats). */
export class RawGateway {
	readonly received: GatewayPayload[] = [];
	readonly ws: WebSocket;
	closeCode: number | null = null;
	readonly #closed: Promise<number>;

	#heartbeat: NodeJS.Timeout | undefined;

	/** With `heartbeat`, beats at half the HELLO interval so slow test machines never miss one. */
	constructor(url: string, heartbeat = true) {
		this.ws = new WebSocket(url);
		this.ws.addEventListener('message', (event) => {
			const payload = JSON.parse(String(event.data)) as GatewayPayload;
			this.received.push(payload);
			if (payload.op === 10 && heartbeat) {
				const interval = (payload.d as { heartbeat_interval: number }).heartbeat_interval;
				this.#heartbeat = setInterval(() => this.send({ op: 1, d: this.seq || null }), interval / 2);
			}
		});
		this.ws.addEventListener('close', () => clearInterval(this.#heartbeat));
		this.#closed = new Promise((resolve) =>
			this.ws.addEventListener('close', (event) => {
				this.closeCode = event.code;
				resolve(event.code);
			})
		);
	}

	/** Opens a socket to `gatewayUrl` with the query discord.js uses. */
	static async open(emulator: Emulator, query = '?v=10&encoding=json', heartbeat = true): Promise<RawGateway> {
		const gateway = new RawGateway(`${emulator.gatewayUrl}${query}`, heartbeat);
		await new Promise<void>((resolve, reject) => {
			gateway.ws.addEventListener('open', () => resolve(), { once: true });
			gateway.ws.addEventListener('error', () => reject(new Error('gateway socket failed')), { once: true });
		});
		return gateway;
	}

	send(payload: unknown): void {
		this.ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
	}

	/** Waits for the first payload (from `from` on) matching `match`. */
	async next(match: (p: GatewayPayload) => boolean, timeoutMs = 5_000, from = 0): Promise<GatewayPayload> {
		return waitFor(() => this.received.slice(from).find(match), timeoutMs, 'gateway payload');
	}

	/** Resolves with the close code. */
	closed(timeoutMs = 5_000): Promise<number> {
		return Promise.race([
			this.#closed,
			new Promise<number>((_, reject) => setTimeout(() => reject(new Error('socket did not close')), timeoutMs))
		]);
	}

	/** Sends IDENTIFY and waits for READY. */
	async identify(
		token: string,
		intents: number,
		shard: [number, number] = [0, 1]
	): Promise<{ session_id: string; resume_gateway_url: string }> {
		this.send({ op: 2, d: { token, intents, shard, properties: { os: 'linux', browser: 'test', device: 'test' } } });
		const ready = await this.next((p) => p.t === 'READY');
		return ready.d as { session_id: string; resume_gateway_url: string };
	}

	/** Highest sequence number received. */
	get seq(): number {
		return this.received.reduce((max, p) => Math.max(max, p.s ?? 0), 0);
	}

	close(): void {
		clearInterval(this.#heartbeat);
		this.ws.close();
	}
}

/** REST calls as the bot (`/api/v10` + path, with its token). */
export function botRest(emulator: Emulator): (method: string, path: string, body?: unknown) => ReturnType<typeof call> {
	const headers = { Authorization: `Bot ${emulator.botToken}` };
	return (method, path, body) => call(emulator, method, `/api/v10${path}`, body, headers);
}

/**
 * Starts an interaction through the control API and returns its id and token as the bot's gateway `socket`
 * received them, unanswered: for tests that answer it with raw REST calls.
 */
export async function pendingInteraction(
	emulator: Emulator,
	socket: RawGateway,
	input: { command: string; options?: Record<string, string | number | boolean>; autocomplete?: string; user_id?: string }
): Promise<{ id: string; token: string }> {
	const from = socket.received.length;
	emulator
		.runInteraction({
			guild_id: emulator.seed.guildId,
			channel_id: emulator.seed.channels.general,
			user_id: input.user_id ?? emulator.seed.users.ada,
			...input
		})
		.catch(() => {});
	const payload = await socket.next((p) => p.t === 'INTERACTION_CREATE', 5_000, from);
	const d = payload.d as { id: string; token: string };
	return { id: d.id, token: d.token };
}

/** The `_errors` Discord's 50035 body lists at `path` (`['embeds', 0, 'title']`), or undefined. */
export function formErrorsAt(body: unknown, path: ReadonlyArray<string | number>): Array<{ code: string; message: string }> | undefined {
	let node = (body as { errors?: unknown } | undefined)?.errors;
	for (const segment of path) node = (node as Record<string, unknown> | undefined)?.[String(segment)];
	return (node as { _errors?: Array<{ code: string; message: string }> } | undefined)?._errors;
}
