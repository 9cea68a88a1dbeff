// Child process that hosts the embedded PostgreSQL (PGlite) behind a Postgres wire-protocol socket,
// so its CPU-heavy query execution never stalls the bot's event loop. Talks to the parent over IPC.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface HostOptions {
	dataDir: string;
	host: string;
	port: number;
	maxConnections: number;
}

/** Messages the host sends to its parent. */
export type HostMessage = { type: 'ready'; host: string; port: number; startMs: number } | { type: 'error'; message: string };

const options = JSON.parse(process.env.FACET_PGLITE_OPTIONS ?? '{}') as HostOptions;
const send = (message: HostMessage) => process.send?.(message);

async function main() {
	const started = performance.now();
	mkdirSync(options.dataDir, { recursive: true });
	const db = await PGlite.create({ dataDir: options.dataDir });
	const server = new PGLiteSocketServer({ db, host: options.host, port: options.port, maxConnections: options.maxConnections });
	await server.start();
	const address = server.getServerConn();
	const port = Number(address.slice(address.lastIndexOf(':') + 1));

	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		try {
			await server.stop();
		} finally {
			// Closing flushes PGlite's state to the data dir: skipping it can lose the last writes.
			await db.close();
			process.exit(0);
		}
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	process.on('message', (message: unknown) => {
		if ((message as { type?: string })?.type === 'stop') void stop();
	});
	// The parent died without telling us: close the database cleanly rather than linger.
	process.on('disconnect', stop);
	send({ type: 'ready', host: options.host, port, startMs: Math.round(performance.now() - started) });
}

main().catch((error: unknown) => {
	send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
	process.exit(1);
});
