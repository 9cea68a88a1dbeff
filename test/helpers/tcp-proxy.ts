import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A TCP forwarder a test can cut and restore, to take a server away from the process under test without stopping it. */
export interface TcpProxy {
	/** The port the proxy listens on (127.0.0.1). */
	port: number;
	/** `url` with its host and port replaced by the proxy's. */
	rewrite(url: string): string;
	/** Destroys every open connection (both sides) and refuses new ones until {@link TcpProxy.restore}. */
	cut(): void;
	/** Accepts and forwards connections again. */
	restore(): void;
	/**
	 * Freezes the server as a stopped (SIGSTOP) or unreachable-but-routed host looks: connections stay open and new ones
	 * are accepted, but nothing is forwarded either way until {@link TcpProxy.resume}; no error, no answer.
	 */
	pause(): void;
	/** Forwards again what was held while paused, and connects the connections accepted meanwhile. */
	resume(): void;
	/** Whether the proxy is cut. */
	readonly isCut: boolean;
	/** Whether the proxy is paused. */
	readonly isPaused: boolean;
	/** Connections accepted so far (refused ones included). */
	readonly accepted: number;
	/** Connections refused while cut. */
	readonly refused: number;
	close(): Promise<void>;
}

/**
 * Starts a proxy on a free port of 127.0.0.1 forwarding to `target`. While cut, a new connection is accepted and
 * destroyed at once, which the client sees as "Connection terminated unexpectedly" (as when a database restarts).
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
	const pairs = new Set<[Socket, Socket]>();
	/** Connections accepted while paused, not yet connected upstream. */
	const held = new Set<Socket>();
	let cut = false;
	let paused = false;
	let accepted = 0;
	let refused = 0;
	const forward = (client: Socket) => {
		const upstream = createConnection(target);
		const pair: [Socket, Socket] = [client, upstream];
		pairs.add(pair);
		const end = () => {
			pairs.delete(pair);
			client.destroy();
			upstream.destroy();
		};
		client.on('error', end).on('close', end);
		upstream.on('error', end).on('close', end);
		client.pipe(upstream);
		upstream.pipe(client);
	};
	const server: Server = createServer((client) => {
		accepted++;
		if (cut) {
			refused++;
			client.destroy();
			return;
		}
		if (paused) {
			client.pause();
			held.add(client);
			const drop = () => held.delete(client);
			client.on('error', drop).on('close', drop);
			return;
		}
		forward(client);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	const cutAll = () => {
		cut = true;
		for (const [client, upstream] of [...pairs]) {
			client.destroy();
			upstream.destroy();
		}
		pairs.clear();
	};
	return {
		port,
		rewrite(url) {
			const parsed = new URL(url);
			parsed.hostname = '127.0.0.1';
			parsed.port = String(port);
			return parsed.toString();
		},
		cut: cutAll,
		restore() {
			cut = false;
		},
		pause() {
			paused = true;
			for (const [client, upstream] of pairs) {
				client.unpipe(upstream);
				upstream.unpipe(client);
				client.pause();
				upstream.pause();
			}
		},
		resume() {
			paused = false;
			for (const [client, upstream] of pairs) {
				client.pipe(upstream);
				upstream.pipe(client);
			}
			for (const client of [...held]) {
				held.delete(client);
				if (!client.destroyed) forward(client);
			}
		},
		get isCut() {
			return cut;
		},
		get isPaused() {
			return paused;
		},
		get accepted() {
			return accepted;
		},
		get refused() {
			return refused;
		},
		async close() {
			for (const client of held) client.destroy();
			held.clear();
			cutAll();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
