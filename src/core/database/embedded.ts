import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { codePath } from '../paths.ts';
import type { HostMessage } from './pglite-host.ts';

/** Defaults of the embedded database's connections. */
export const DefaultEmbeddedOptions = {
	/**
	 * The bot's pool against it. PGlite runs one statement at a time (and an open transaction holds every other
	 * connection back), so a larger pool only adds waiting connections.
	 */
	poolMax: 4,
	/**
	 * Connections the socket keeps free beyond the bot's pool, for an operator's `psql`, `npm run migrate` or a
	 * backup. The socket refuses connections past its limit, so without these a busy bot locks every outside client out.
	 */
	reservedConnections: 4
};

/** Options for {@link startEmbeddedDatabase}. */
export interface EmbeddedDatabaseOptions {
	/** Folder that keeps the database files. */
	dataDir: string;
	/** The largest pool the bot will open against it. @default DefaultEmbeddedOptions.poolMax */
	poolMax?: number;
	/** Connections accepted beyond `poolMax` for other clients. @default DefaultEmbeddedOptions.reservedConnections */
	reservedConnections?: number;
	/** Milliseconds to wait for the child to be ready. */
	startTimeoutMs?: number;
}

/** A running embedded database hosted by a child process. */
export interface EmbeddedDatabase {
	/** `postgresql://` URL the normal Postgres driver connects to. */
	url: string;
	/** The pool size the bot should use: the socket accepts this many plus the reserved connections. */
	poolMax: number;
	/** Connections the socket accepts in all. */
	maxConnections: number;
	pid: number;
	/** Time the child took to open the data dir and listen. */
	startMs: number;
	stop(): Promise<void>;
}

/** Starts PGlite in a child process, off the bot's event loop, and returns its connection URL. */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
	const poolMax = options.poolMax ?? DefaultEmbeddedOptions.poolMax;
	const maxConnections = poolMax + (options.reservedConnections ?? DefaultEmbeddedOptions.reservedConnections);
	const hostOptions = { dataDir: resolve(options.dataDir), host: '127.0.0.1', port: 0, maxConnections };
	const child: ChildProcess = fork(codePath('core/database/pglite-host'), [], {
		env: { ...process.env, FACET_PGLITE_OPTIONS: JSON.stringify(hostOptions) },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc']
	});

	const ready = await new Promise<Extract<HostMessage, { type: 'ready' }>>((resolvePromise, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`embedded database did not start within ${options.startTimeoutMs ?? 60_000} ms`));
		}, options.startTimeoutMs ?? 60_000);
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`embedded database exited during start (code ${code})`));
		});
		child.on('message', (message: HostMessage) => {
			if (message.type === 'ready') {
				clearTimeout(timer);
				resolvePromise(message);
			} else if (message.type === 'error') {
				clearTimeout(timer);
				reject(new Error(`embedded database failed: ${message.message}`));
			}
		});
	});
	child.removeAllListeners('exit');

	let stopped: Promise<void> | null = null;
	return {
		url: `postgresql://postgres@${ready.host}:${ready.port}/postgres`,
		poolMax,
		maxConnections,
		pid: child.pid ?? -1,
		startMs: ready.startMs,
		stop() {
			stopped ??= new Promise<void>((resolveStop) => {
				if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
				const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
				child.once('exit', () => {
					clearTimeout(timer);
					resolveStop();
				});
				child.send({ type: 'stop' });
			});
			return stopped;
		}
	};
}
