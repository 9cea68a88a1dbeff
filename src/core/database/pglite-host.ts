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

let opening: Promise<PGlite> | null = null;
let server: PGLiteSocketServer | null = null;
let stopping = false;

async function stop(): Promise<void> {
	if (stopping) return;
	stopping = true;
	try {
		await server?.stop();
	} finally {
		// Wait for an open in progress (exiting mid-initdb would leave a broken data dir), then close: closing
		// flushes PGlite's state to the data dir, and skipping it can lose the last writes.
		const db = await opening?.catch(() => null);
		await db?.close();
		process.exit(0);
	}
}

// Registered before anything starts: a parent that stops (or dies) while the database is still opening must not
// leave this process behind.
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.on('message', (message: unknown) => {
	if ((message as { type?: string })?.type === 'stop') void stop();
});
process.on('disconnect', () => void stop());

async function main() {
	const started = performance.now();
	mkdirSync(options.dataDir, { recursive: true });
	opening = PGlite.create({ dataDir: options.dataDir });
	const db = await opening;
	if (stopping) return;
	server = new PGLiteSocketServer({ db, host: options.host, port: options.port, maxConnections: options.maxConnections });
	await server.start();
	const address = server.getServerConn();
	const port = Number(address.slice(address.lastIndexOf(':') + 1));
	send({ type: 'ready', host: options.host, port, startMs: Math.round(performance.now() - started) });
}

main().catch((error: unknown) => {
	send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
	process.exit(1);
});
