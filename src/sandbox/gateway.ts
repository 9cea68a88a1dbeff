import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayCloseCodes, GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';
import { WebSocket, WebSocketServer } from 'ws';
import type { SessionStartLimitInfo, SessionStartOptions } from './gateway-limits.ts';
import { SendLimiter, SessionStartLimiter } from './gateway-limits.ts';
import type { EmulatorLogger } from './logger.ts';
import { type MemberChunk, parseLargeThreshold, type SessionView } from './members.ts';
import { shardOf } from './snowflake.ts';

/** Every intent bit Discord defines; IDENTIFY with bits outside this mask is 4013 Invalid intents. */
const KNOWN_INTENTS = Object.values(GatewayIntentBits)
	.filter((v): v is number => typeof v === 'number')
	.reduce((acc, bit) => acc | bit, 0);

/** Intents Discord gates behind the developer portal switches. */
export const PRIVILEGED_INTENTS = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

/** How many dispatches a session keeps for RESUME replay; older ones make a resume fail with INVALID_SESSION. */
const REPLAY_BUFFER = 5000;

/** What the gateway needs from the rest of the emulator. */
export interface GatewayHost {
	readonly token: string;
	readonly botUserId: string;
	readonly applicationId: string;
	readonly heartbeatIntervalMs: number;
	readonly sessionTtlMs: number;
	readonly allowedPrivilegedIntents: number;
	readonly logger: EmulatorLogger;
	/** The session start limit (`GET /gateway/bot`) the gateway enforces on IDENTIFY. */
	readonly sessionStart: SessionStartOptions;
	/** The emulator's clock (injectable for tests). */
	now(): number;
	/** `ws://host:port/gateway`, handed out as `resume_gateway_url`. */
	gatewayUrl(): string;
	botUser(): unknown;
	/** Ids of every guild the bot is in. */
	guildIds(): string[];
	/** GUILD_CREATE payload for one guild, as this session gets it (members depend on intents and large_threshold). */
	guildCreate(guildId: string, view: SessionView): unknown;
	/** Chunks answering a REQUEST_GUILD_MEMBERS (op 8), or null when Discord would ignore it. */
	requestGuildMembers(view: SessionView, onShard: (guildId: string) => boolean, data: unknown): MemberChunk[] | null;
	/** Every payload a client sends, for the traffic counts. */
	onClientPayload(connection: object, op: unknown): void;
	onIdentify(): void;
	onResume(): void;
}

/** Options of one dispatch: which guild it concerns (for sharding) and which intent gates it. */
export interface DispatchOptions {
	guildId?: string | null;
	intent?: number;
	/** Message payloads lose content/embeds/attachments/components for sessions without MESSAGE_CONTENT. */
	messageContent?: boolean;
	/** Builds the payload for each session (GUILD_CREATE: its members depend on the session's intents). */
	perSession?: (view: SessionView) => unknown;
}

interface BufferedDispatch {
	s: number;
	t: string;
	d: unknown;
}

/** A gateway session: survives its socket for `sessionTtlMs` so the client can RESUME. */
interface Session {
	id: string;
	shardId: number;
	shardCount: number;
	intents: number;
	largeThreshold: number;
	seq: number;
	buffer: BufferedDispatch[];
	connection: Connection | null;
	expiry: NodeJS.Timeout | null;
}

/** One WebSocket and what it has authenticated as. */
interface Connection {
	ws: WebSocket;
	session: Session | null;
	heartbeatTimer: NodeJS.Timeout | null;
	/** Payloads the client sent in the current 60-second window (over 120: close 4008). */
	sends: SendLimiter;
	/** A zombie (fault injection): the server neither ACKs its heartbeats nor sends it anything any more. */
	zombie: boolean;
	/** The emulator closed this socket (its close code says nothing about the client's intent). */
	closedByServer?: boolean;
}

/** Snapshot of a session for `GET /_emulator/state`. */
export interface SessionInfo {
	session_id: string;
	shard: [number, number];
	intents: number;
	seq: number;
	connected: boolean;
}

/** The gateway's limits for `GET /_emulator/state`. */
export interface GatewayLimitsInfo {
	session_start_limit: SessionStartLimitInfo;
	/** IDENTIFYs answered INVALID_SESSION because their `max_concurrency` bucket started a session under 5 s before. */
	identify_concurrency_refused: number;
	/** Connections closed with 4008 for sending more than 120 payloads in 60 s. */
	send_rate_limit_closes: number;
	/** The session start limit ran out: every session was terminated and the token no longer works (Discord resets it). */
	token_reset: boolean;
}

/**
 * The v10 gateway: HELLO, IDENTIFY/RESUME, heartbeats, dispatch with sharding and
 * intent filtering, and the close codes Discord uses (JSON encoding, no compression).
 */
export class Gateway {
	readonly #host: GatewayHost;
	readonly #wss = new WebSocketServer({ noServer: true });
	readonly #sessions = new Map<string, Session>();
	readonly #connections = new Set<Connection>();
	#closed = false;
	#batching = false;
	/** IDENTIFYs still to refuse (fault injection) and the close code they get. */
	#refuse = { remaining: 0, code: GatewayCloseCodes.UnknownError as number };
	readonly #sessionStart: SessionStartLimiter;
	#sendLimitCloses = 0;
	#tokenReset = false;

	constructor(host: GatewayHost) {
		this.#host = host;
		this.#sessionStart = new SessionStartLimiter(host.sessionStart);
	}

	/** `session_start_limit` of `GET /gateway/bot`. */
	sessionStartLimit(): SessionStartLimitInfo {
		return this.#sessionStart.info(this.#host.now());
	}

	/** Whether the session start limit ran out and the bot token was reset (REST then refuses it too). */
	get tokenReset(): boolean {
		return this.#tokenReset;
	}

	/** Counters of the gateway's limits. */
	limits(): GatewayLimitsInfo {
		return {
			session_start_limit: this.sessionStartLimit(),
			identify_concurrency_refused: this.#sessionStart.refusedConcurrency,
			send_rate_limit_closes: this.#sendLimitCloses,
			token_reset: this.#tokenReset
		};
	}

	/** A full session start budget and a working token again (the emulator's reset). */
	resetLimits(): void {
		this.#sessionStart.clear();
		this.#sendLimitCloses = 0;
		this.#tokenReset = false;
	}

	/**
	 * Turns every open bot connection into a zombie: its heartbeats go unacknowledged and nothing more is sent
	 * to it (dispatches wait in the session's replay buffer), as a connection whose far end silently died.
	 */
	zombifyAll(): number {
		let count = 0;
		for (const connection of this.#connections) {
			if (connection.ws.readyState !== WebSocket.OPEN || connection.zombie) continue;
			connection.zombie = true;
			count++;
		}
		return count;
	}

	/** Takes over an HTTP upgrade request for the gateway path. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
		this.#wss.handleUpgrade(request, socket, head, (ws) => this.#onConnection(ws, request));
	}

	/**
	 * Sends a dispatch to every session that should see it (right shard, intent granted),
	 * buffering it in disconnected sessions so a RESUME replays it.
	 */
	dispatch(t: string, d: unknown, options: DispatchOptions = {}): void {
		for (const session of this.#sessions.values()) {
			if (options.guildId && shardOf(options.guildId, session.shardCount) !== session.shardId) continue;
			if (options.intent !== undefined && (session.intents & options.intent) === 0) continue;
			const payload = options.perSession ? options.perSession(session) : d;
			const data = options.messageContent ? this.#gateContent(session, payload) : payload;
			this.#send(session, t, data);
		}
	}

	/**
	 * Runs `fn` (which dispatches many events) with every socket corked, so its frames leave in one write, and trims
	 * the replay buffers once at the end instead of after each dispatch. Streams of thousands of events then cost the
	 * emulator a few microseconds each (benchmarks feed clients faster than they can handle).
	 */
	batch<T>(fn: () => T): T {
		if (this.#batching) return fn();
		const corked = [...this.#connections].filter((c) => c.ws.readyState === WebSocket.OPEN);
		// ws has no public batching API; its frames go through the underlying socket, which Node lets us cork.
		const sockets = corked.map((c) => (c.ws as unknown as { _socket: Duplex })._socket);
		for (const socket of sockets) socket.cork();
		this.#batching = true;
		try {
			return fn();
		} finally {
			this.#batching = false;
			for (const session of this.#sessions.values()) {
				if (session.buffer.length > REPLAY_BUFFER) session.buffer.splice(0, session.buffer.length - REPLAY_BUFFER);
			}
			for (const socket of sockets) socket.uncork();
		}
	}

	/**
	 * Closes every bot socket with `code` (4000 by default: the sessions stay resumable). 1006 cannot be sent in a
	 * close frame: the TCP connection is cut instead, which the client sees as 1006 (abnormal closure).
	 */
	disconnectAll(code: number = GatewayCloseCodes.UnknownError): number {
		let count = 0;
		for (const connection of this.#connections) {
			if (connection.ws.readyState !== WebSocket.OPEN) continue;
			if (code === 1006) connection.ws.terminate();
			else connection.ws.close(code, 'Disconnected by the emulator');
			count++;
		}
		return count;
	}

	/**
	 * Closes the next `count` IDENTIFYs with `code` instead of answering READY (0 disarms); returns how many were
	 * still armed before.
	 */
	refuseIdentify(count: number, code: number = GatewayCloseCodes.UnknownError): number {
		const before = this.#refuse.remaining;
		this.#refuse = { remaining: count, code };
		return before;
	}

	/** Sends INVALID_SESSION (`d: false`) on every authenticated socket and forgets those sessions. */
	invalidateAll(): number {
		let count = 0;
		for (const connection of this.#connections) {
			const session = connection.session;
			if (!session) continue;
			this.#dropSession(session);
			connection.session = null;
			this.#sendRaw(connection, { op: GatewayOpcodes.InvalidSession, d: false });
			count++;
		}
		return count;
	}

	/** Shard ids with an open, authenticated socket. */
	connectedShards(): number[] {
		const shards = new Set<number>();
		for (const session of this.#sessions.values()) if (session.connection) shards.add(session.shardId);
		return [...shards].sort((a, b) => a - b);
	}

	/** Whether some session (connected or resumable) would receive events of this guild. */
	hasSessionFor(guildId: string): boolean {
		for (const session of this.#sessions.values()) if (shardOf(guildId, session.shardCount) === session.shardId) return true;
		return false;
	}

	/** Every live session (connected or waiting to be resumed). */
	sessions(): SessionInfo[] {
		return [...this.#sessions.values()].map((s) => ({
			session_id: s.id,
			shard: [s.shardId, s.shardCount],
			intents: s.intents,
			seq: s.seq,
			connected: s.connection !== null
		}));
	}

	/** Closes every socket (1001 going away) and forgets all sessions. */
	close(): void {
		this.#closed = true;
		for (const connection of this.#connections) {
			if (connection.heartbeatTimer) clearTimeout(connection.heartbeatTimer);
			connection.ws.close(1001, 'Emulator stopping');
			connection.ws.terminate();
		}
		this.#connections.clear();
		for (const session of this.#sessions.values()) if (session.expiry) clearTimeout(session.expiry);
		this.#sessions.clear();
		this.#wss.close();
	}

	#onConnection(ws: WebSocket, request: IncomingMessage): void {
		const connection: Connection = { ws, session: null, heartbeatTimer: null, sends: new SendLimiter(), zombie: false };
		this.#connections.add(connection);
		const close = ws.close.bind(ws);
		ws.close = (code?: number, reason?: string | Buffer) => {
			// ws answers a client's close frame through close() too, after flagging that it received one.
			if (!(ws as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived) connection.closedByServer = true;
			close(code, reason);
		};
		ws.on('close', (code: number) => this.#onClose(connection, code));
		ws.on('error', (error) => this.#host.logger.debug({ err: error }, 'gateway socket error'));

		const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
		const version = query.get('v');
		// Discord closes at once on an API version it does not serve; v9 and v10 speak the same gateway.
		if (version !== null && version !== '10' && version !== '9') {
			ws.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
			return;
		}
		if ((query.get('encoding') ?? 'json') !== 'json') {
			ws.close(GatewayCloseCodes.DecodeError, 'Only JSON encoding is supported by the sandbox');
			return;
		}
		ws.on('message', (raw, isBinary) => this.#onMessage(connection, raw.toString(), isBinary));
		this.#sendRaw(connection, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.#host.heartbeatIntervalMs } });
		this.#armHeartbeat(connection);
	}

	/** Closes the socket with 4009 when no heartbeat came within 1.5 intervals; the session stays resumable. */
	#armHeartbeat(connection: Connection): void {
		if (connection.heartbeatTimer) clearTimeout(connection.heartbeatTimer);
		connection.heartbeatTimer = setTimeout(() => {
			this.#host.logger.debug('gateway: heartbeat missed, closing with 4009');
			connection.ws.close(GatewayCloseCodes.SessionTimedOut, 'Session timed out');
		}, this.#host.heartbeatIntervalMs * 1.5);
		connection.heartbeatTimer.unref();
	}

	#onMessage(connection: Connection, raw: string, isBinary: boolean): void {
		// Every payload counts, heartbeats and IDENTIFY included, as on Discord.
		if (!connection.sends.take(this.#host.now())) {
			if (connection.ws.readyState === WebSocket.OPEN) {
				this.#sendLimitCloses++;
				connection.ws.close(GatewayCloseCodes.RateLimited, 'You are being rate limited.');
			}
			return;
		}
		let payload: { op?: unknown; d?: unknown };
		try {
			if (isBinary) throw new Error('binary frames need ETF or compression');
			payload = JSON.parse(raw) as { op?: unknown; d?: unknown };
			if (typeof payload !== 'object' || payload === null) throw new Error('payload is not an object');
		} catch {
			connection.ws.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload');
			return;
		}
		this.#host.onClientPayload(connection, payload.op);
		switch (payload.op) {
			case GatewayOpcodes.Heartbeat:
				this.#armHeartbeat(connection);
				// A zombie's ACK is swallowed by #sendRaw, like everything else sent to it.
				this.#sendRaw(connection, { op: GatewayOpcodes.HeartbeatAck });
				return;
			case GatewayOpcodes.Identify:
				this.#identify(connection, payload.d);
				return;
			case GatewayOpcodes.Resume:
				this.#resume(connection, payload.d);
				return;
			case GatewayOpcodes.RequestGuildMembers: {
				const session = connection.session;
				if (!session) {
					connection.ws.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated');
					return;
				}
				const onShard = (guildId: string) => shardOf(guildId, session.shardCount) === session.shardId;
				for (const chunk of this.#host.requestGuildMembers(session, onShard, payload.d) ?? []) this.#send(session, chunk.t, chunk.d);
				return;
			}
			case GatewayOpcodes.PresenceUpdate:
			case GatewayOpcodes.VoiceStateUpdate:
				// Accepted and ignored: the sandbox has no presences or voice servers.
				if (!connection.session) connection.ws.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated');
				return;
			default:
				connection.ws.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode');
		}
	}

	#tokenMatches(token: unknown): boolean {
		if (typeof token !== 'string' || this.#tokenReset) return false;
		return token.replace(/^Bot\s+/i, '') === this.#host.token;
	}

	/** The payload of an IDENTIFY or RESUME from an unauthenticated connection with the right token; otherwise closes it. */
	#authenticate(connection: Connection, data: unknown): Record<string, unknown> | null {
		if (connection.session) {
			connection.ws.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated');
			return null;
		}
		const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
		if (!this.#tokenMatches(d.token)) {
			connection.ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed');
			return null;
		}
		return d;
	}

	#identify(connection: Connection, data: unknown): void {
		const d = this.#authenticate(connection, data);
		if (!d) return;
		if (this.#refuse.remaining > 0) {
			this.#refuse.remaining--;
			if (this.#refuse.code === 1006) connection.ws.terminate();
			else connection.ws.close(this.#refuse.code, 'Identify refused by the emulator');
			return;
		}
		const shard = d.shard ?? [0, 1];
		if (
			!Array.isArray(shard) ||
			shard.length !== 2 ||
			!shard.every((n) => Number.isInteger(n)) ||
			shard[1] < 1 ||
			shard[0] < 0 ||
			shard[0] >= shard[1]
		) {
			connection.ws.close(GatewayCloseCodes.InvalidShard, 'Invalid shard');
			return;
		}
		const intents = d.intents;
		if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0 || (intents & ~KNOWN_INTENTS) !== 0) {
			connection.ws.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s)');
			return;
		}
		if ((intents & PRIVILEGED_INTENTS & ~this.#host.allowedPrivilegedIntents) !== 0) {
			connection.ws.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s)');
			return;
		}
		const [shardId, shardCount] = shard as [number, number];
		const verdict = this.#tokenReset ? 'exhausted' : this.#sessionStart.take(shardId, this.#host.now());
		if (verdict === 'concurrency') {
			// Discord answers an IDENTIFY over its bucket's 5-second allowance with INVALID_SESSION (not resumable).
			this.#sendRaw(connection, { op: GatewayOpcodes.InvalidSession, d: false });
			return;
		}
		if (verdict === 'exhausted') {
			this.#resetToken();
			return;
		}
		const session: Session = {
			id: randomBytes(16).toString('hex'),
			shardId,
			shardCount,
			intents,
			// An out-of-range large_threshold falls back to Discord's default (50).
			largeThreshold: parseLargeThreshold(d.large_threshold) ?? parseLargeThreshold(undefined)!,
			seq: 0,
			buffer: [],
			connection,
			expiry: null
		};
		this.#sessions.set(session.id, session);
		connection.session = session;
		this.#host.onIdentify();

		const guildIds = this.#host.guildIds().filter((id) => shardOf(id, shardCount) === shardId);
		this.#send(session, GatewayDispatchEvents.Ready, {
			v: 10,
			user: this.#host.botUser(),
			guilds: guildIds.map((id) => ({ id, unavailable: true })),
			session_id: session.id,
			resume_gateway_url: this.#host.gatewayUrl(),
			shard: [shardId, shardCount],
			application: { id: this.#host.applicationId, flags: 0 },
			user_settings: {},
			presences: [],
			private_channels: [],
			geo_ordered_rtc_regions: [],
			guild_join_requests: [],
			relationships: []
		});
		// Guilds arrive lazily after READY, as on Discord; without GUILDS they stay unavailable.
		if ((intents & GatewayIntentBits.Guilds) !== 0) {
			for (const id of guildIds) this.#send(session, GatewayDispatchEvents.GuildCreate, this.#host.guildCreate(id, session));
		}
	}

	#resume(connection: Connection, data: unknown): void {
		const d = this.#authenticate(connection, data);
		if (!d) return;
		const session = typeof d.session_id === 'string' ? this.#sessions.get(d.session_id) : undefined;
		const seq = d.seq;
		if (!session) {
			this.#sendRaw(connection, { op: GatewayOpcodes.InvalidSession, d: false });
			return;
		}
		if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > session.seq) {
			connection.ws.close(GatewayCloseCodes.InvalidSeq, 'Invalid seq');
			return;
		}
		const first = session.buffer[0];
		if (first && first.s > seq + 1) {
			// The events right after `seq` fell out of the buffer: a replay would have a hole.
			this.#dropSession(session);
			this.#sendRaw(connection, { op: GatewayOpcodes.InvalidSession, d: false });
			return;
		}
		if (session.expiry) {
			clearTimeout(session.expiry);
			session.expiry = null;
		}
		const previous = session.connection;
		if (previous && previous !== connection) {
			previous.session = null;
			previous.ws.close(GatewayCloseCodes.SessionTimedOut, 'Session resumed elsewhere');
		}
		session.connection = connection;
		connection.session = session;
		this.#host.onResume();
		for (const event of session.buffer) {
			if (event.s > seq) this.#sendRaw(connection, { op: GatewayOpcodes.Dispatch, s: event.s, t: event.t, d: event.d });
		}
		this.#send(session, GatewayDispatchEvents.Resumed, {});
	}

	/**
	 * The session start limit ran out: Discord terminates every session of the bot and resets its token.
	 * Every socket closes with 4004 and the old token is refused from now on (until the emulator is reset).
	 */
	#resetToken(): void {
		this.#tokenReset = true;
		this.#host.logger.debug('gateway: session start limit exhausted, token reset');
		for (const session of [...this.#sessions.values()]) this.#dropSession(session);
		for (const connection of this.#connections) {
			connection.session = null;
			if (connection.ws.readyState === WebSocket.OPEN) connection.ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed');
		}
	}

	#onClose(connection: Connection, code: number): void {
		this.#connections.delete(connection);
		if (connection.heartbeatTimer) clearTimeout(connection.heartbeatTimer);
		const session = connection.session;
		if (!session || session.connection !== connection || this.#closed) return;
		// As on Discord: a client that closes with 1000 or 1001 ends its session (a RESUME then gets INVALID_SESSION);
		// any other close code, or a dropped connection, keeps it resumable for the session's window.
		if (!connection.closedByServer && (code === 1000 || code === 1001)) {
			session.connection = null;
			this.#dropSession(session);
			return;
		}
		session.connection = null;
		session.expiry = setTimeout(() => this.#dropSession(session), this.#host.sessionTtlMs);
		session.expiry.unref();
	}

	#dropSession(session: Session): void {
		if (session.expiry) clearTimeout(session.expiry);
		this.#sessions.delete(session.id);
	}

	/** Numbers the dispatch, keeps it for replay and sends it if the session has a socket. */
	#send(session: Session, t: string, d: unknown): void {
		const s = ++session.seq;
		session.buffer.push({ s, t, d });
		if (!this.#batching && session.buffer.length > REPLAY_BUFFER) session.buffer.splice(0, session.buffer.length - REPLAY_BUFFER);
		if (session.connection) this.#sendRaw(session.connection, { op: GatewayOpcodes.Dispatch, s, t, d });
	}

	#sendRaw(connection: Connection, payload: Record<string, unknown>): void {
		if (connection.ws.readyState !== WebSocket.OPEN || connection.zombie) return;
		connection.ws.send(JSON.stringify({ s: null, t: null, d: null, ...payload }));
	}

	/**
	 * Without MESSAGE_CONTENT, Discord blanks content, embeds, attachments and components,
	 * except on the bot's own messages and messages that mention it.
	 */
	#gateContent(session: Session, d: unknown): unknown {
		if ((session.intents & GatewayIntentBits.MessageContent) !== 0) return d;
		const message = d as { author?: { id?: string }; mentions?: Array<{ id?: string }> };
		const botId = this.#host.botUserId;
		if (message.author?.id === botId || message.mentions?.some((m) => m.id === botId)) return d;
		return { ...(d as object), content: '', embeds: [], attachments: [], components: [] };
	}
}
