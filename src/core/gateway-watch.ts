import { type Client, Events, GatewayCloseCodes, SimpleShardingStrategy } from 'discord.js';
import type { Logger } from 'pino';

/** The gateway manager of `@discordjs/ws` that discord.js hands to `ws.buildStrategy`. */
type GatewayManager = ConstructorParameters<typeof SimpleShardingStrategy>[0];

/** Defaults of {@link GatewayWatch}. */
export const DefaultGatewayWatchOptions = {
	/** One line per kind of event and shard per window; the lines left out are counted in the next one. */
	logWindowMs: 10_000,
	/** How long a start may go without READY before it is reported (env `GATEWAY_READY_TIMEOUT_SECONDS`). */
	readyTimeoutMs: 60_000
};

/** WebSocket close codes that are not Discord's own (`GatewayCloseCodes`) but show up in practice. */
const SOCKET_CLOSE_NAMES: Record<number, string> = {
	1000: 'Normal',
	1001: 'GoingAway',
	1006: 'Abnormal (no close frame)',
	1011: 'InternalError',
	4200: 'Resuming (set by discord.js)'
};

/** A readable name for a gateway close code. */
export function closeCodeName(code: number): string {
	return (GatewayCloseCodes as unknown as Record<number, string>)[code] ?? SOCKET_CLOSE_NAMES[code] ?? 'Unknown';
}

/**
 * Makes the gateway's life visible: every shard disconnect (with its close code), reconnect, resume, invalidated
 * session and error gets one log line (rate-limited per kind and shard), and a start that is not READY within the
 * deadline is reported loudly, with the last close code, every deadline until it is — discord.js keeps retrying
 * meanwhile. It hooks in through discord.js' public `ws.buildStrategy` option, so no private field is read.
 */
export class GatewayWatch {
	readonly #logger: Logger;
	readonly #options: typeof DefaultGatewayWatchOptions;
	readonly #lastLine = new Map<string, { at: number; suppressed: number }>();
	/** Shards that closed since their last READY or RESUMED: their next HELLO is a reconnect. */
	readonly #closedShards = new Set<number>();
	#lastClose: { code: number; shardId: number; at: number } | null = null;
	#closes = 0;

	public constructor(logger: Logger, options: Partial<typeof DefaultGatewayWatchOptions> = {}) {
		this.#logger = logger;
		this.#options = { ...DefaultGatewayWatchOptions, ...options };
	}

	/** The last close code seen, or null. */
	public get lastCloseCode(): number | null {
		return this.#lastClose?.code ?? null;
	}

	/** For `ClientOptions.ws.buildStrategy`: watches the manager and keeps discord.js' default strategy. */
	public readonly buildStrategy = (manager: GatewayManager) => {
		// discord.js builds the manager when it starts connecting: the moment a bare client's login begins too.
		this.#logger.info('connecting to the gateway');
		this.#attach(manager);
		return new SimpleShardingStrategy(manager);
	};

	/**
	 * Runs `login` and resolves once the client is READY and everything in `alsoWait` settled. Until then, every
	 * `readyTimeoutMs` one error line says how long it has waited and how the gateway last closed; it never gives up
	 * on its own (a signal still stops the process). A failed login rejects as before.
	 */
	public async untilReady(client: Client, login: () => Promise<unknown>, alsoWait: Promise<unknown>[] = []): Promise<void> {
		const started = Date.now();
		let onReady: () => void = () => undefined;
		const ready = new Promise<void>((resolve) => {
			onReady = resolve;
		});
		client.once(Events.ClientReady, onReady);
		let ticks = 0;
		const timer = setInterval(() => {
			const last = this.#lastClose;
			// libuv's timer clock is whole milliseconds and may run up to 1 ms ahead of Date.now(): the tick itself
			// marks that the deadline passed, so the wait is never reported as shorter than it.
			ticks++;
			const waitedMs = Math.max(Date.now() - started, ticks * this.#options.readyTimeoutMs);
			this.#logger.error(
				{
					waitedMs,
					lastCloseCode: last?.code ?? null,
					lastCloseName: last ? closeCodeName(last.code) : null,
					lastCloseShard: last?.shardId ?? null,
					closes: this.#closes,
					shards: client.ws.shards.map((shard) => ({ id: shard.id, status: shard.status }))
				},
				last
					? `the gateway is not READY after ${Math.round(waitedMs / 1000)} s (last close ${last.code} ${closeCodeName(last.code)}); still retrying`
					: `the gateway is not READY after ${Math.round(waitedMs / 1000)} s (no close seen: the connection or IDENTIFY is not answered); still retrying`
			);
		}, this.#options.readyTimeoutMs);
		timer.unref();
		try {
			await login();
			await ready;
			await Promise.all(alsoWait);
		} finally {
			clearInterval(timer);
			client.off(Events.ClientReady, onReady);
		}
	}

	#attach(manager: GatewayManager): void {
		manager.on('closed', ({ code, shardId }) => {
			this.#closes++;
			this.#lastClose = { code, shardId, at: Date.now() };
			this.#closedShards.add(shardId);
			// discord.js closes with 1000/4200 itself before reconnecting or resuming: that is not the server's doing.
			this.#line(
				'warn',
				'disconnect',
				shardId,
				{ code, codeName: closeCodeName(code) },
				`gateway shard ${shardId} disconnected (close ${code})`
			);
		});
		manager.on('hello', ({ shardId }) => {
			if (!this.#closedShards.has(shardId)) return;
			const code = this.#lastClose?.code ?? null;
			this.#line('info', 'reconnect', shardId, { lastCloseCode: code }, `gateway shard ${shardId} reconnected`);
		});
		manager.on('ready', ({ shardId }) => {
			const again = this.#closedShards.delete(shardId);
			this.#line('info', 'ready', shardId, { reidentified: again }, `gateway shard ${shardId} READY`);
		});
		manager.on('resumed', ({ shardId }) => {
			this.#closedShards.delete(shardId);
			this.#line('info', 'resume', shardId, { lastCloseCode: this.#lastClose?.code ?? null }, `gateway shard ${shardId} resumed`);
		});
		manager.on('error', ({ error, shardId }) => {
			this.#line(
				'error',
				'error',
				shardId,
				{ err: error, lastCloseCode: this.#lastClose?.code ?? null },
				`gateway shard ${shardId} error: ${error.message}`
			);
		});
		manager.on('debug', ({ message, shardId }) => {
			// @discordjs/ws reports these two only as debug text.
			if (message.startsWith('Invalid session')) {
				const resumable = message.trim().endsWith('true');
				this.#line('warn', 'invalidated', shardId, { resumable }, `gateway shard ${shardId} session invalidated`);
			} else if (message.includes('due to a network error')) {
				this.#line('warn', 'network', shardId, {}, `gateway shard ${shardId} could not connect (network error)`);
			}
		});
	}

	#line(level: 'info' | 'warn' | 'error', kind: string, shardId: number, fields: Record<string, unknown>, message: string): void {
		const key = `${kind}:${shardId}`;
		const now = Date.now();
		const last = this.#lastLine.get(key);
		if (last && now - last.at < this.#options.logWindowMs) {
			last.suppressed++;
			return;
		}
		this.#lastLine.set(key, { at: now, suppressed: 0 });
		const suppressed = last?.suppressed ?? 0;
		this.#logger[level]({ shardId, ...fields, ...(suppressed ? { suppressedSinceLastLine: suppressed } : {}) }, message);
	}
}
