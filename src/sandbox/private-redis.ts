import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';

/** A redis-server this process started, and how to stop it. */
export interface PrivateRedis {
	url: string;
	pid: number;
	stop(): Promise<void>;
}

/** The first `redis-server` on PATH, or null. */
export function findRedisServer(path = process.env.PATH ?? ''): string | null {
	for (const dir of path.split(delimiter)) {
		if (!dir) continue;
		const candidate = join(dir, 'redis-server');
		try {
			accessSync(candidate, constants.X_OK);
			return candidate;
		} catch {
			// Not here.
		}
	}
	return null;
}

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
	return new Promise((done) => {
		const socket = connect({ host, port });
		const finish = (up: boolean) => {
			socket.destroy();
			done(up);
		};
		socket.setTimeout(timeoutMs, () => finish(false));
		socket.once('connect', () => finish(true));
		socket.once('error', () => finish(false));
	});
}

function freePort(): Promise<number> {
	return new Promise((done, fail) => {
		const server = createServer();
		server.once('error', fail);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => done(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/**
 * Starts a real redis-server for the sandbox, its files in `dir`, bound to loopback on a free port, and waits
 * until it accepts connections. It is the host's own binary, not an imitation; stopped by `stop()` and killed
 * with this process if it exits without stopping it.
 */
export async function startPrivateRedis(binary: string, dir: string, startTimeoutMs = 10_000): Promise<PrivateRedis> {
	const folder = resolve(dir);
	mkdirSync(folder, { recursive: true });
	const port = await freePort();
	const child: ChildProcess = spawn(
		binary,
		['--bind', '127.0.0.1', '--port', String(port), '--dir', folder, '--save', '300 1', '--appendonly', 'no', '--protected-mode', 'yes'],
		{ stdio: ['ignore', 'ignore', 'pipe'] }
	);
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
	});
	const killOnExit = () => child.kill('SIGKILL');
	process.once('exit', killOnExit);
	const deadline = Date.now() + startTimeoutMs;
	while (!(await isListening('127.0.0.1', port, 200))) {
		if (child.exitCode !== null) throw new Error(`redis-server exited at start (code ${child.exitCode}): ${stderr.trim()}`);
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`redis-server did not listen within ${startTimeoutMs} ms`);
		}
		await new Promise((wait) => setTimeout(wait, 50));
	}
	let stopped: Promise<void> | null = null;
	return {
		url: `redis://127.0.0.1:${port}`,
		pid: child.pid ?? -1,
		stop() {
			stopped ??= new Promise<void>((done) => {
				process.off('exit', killOnExit);
				if (child.exitCode !== null || child.signalCode !== null) return done();
				const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
				child.once('exit', () => {
					clearTimeout(timer);
					done();
				});
				// SIGTERM: redis-server saves (if it has anything) and exits.
				child.kill('SIGTERM');
			});
			return stopped;
		}
	};
}
