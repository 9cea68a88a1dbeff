import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The project folder. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** The pinned Node 26 binary (npm scripts put it on PATH; tests call it directly). */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

/** A child process with its output collected line by line. */
export interface RunningProcess {
	child: ChildProcess;
	lines: string[];
	/** Resolves with the first line matching `pattern` (or rejects after `timeoutMs`). */
	waitFor(pattern: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
	/** Resolves with the exit code (null when killed by a signal). */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node <args>` in the project folder (or `options.cwd`) with extra env, collecting stdout and stderr. */
export function runNode(args: string[], env: Record<string, string | undefined>, options: { cwd?: string } = {}): RunningProcess {
	return spawnLogged(NODE, args, env, options);
}

/** Spawns any program (nginx, a script) like {@link runNode}: output collected line by line, `waitFor`, `exited`. */
export function spawnLogged(
	command: string,
	args: string[],
	env: Record<string, string | undefined> = {},
	options: { cwd?: string } = {}
): RunningProcess {
	const child = spawn(command, args, {
		cwd: options.cwd ?? ROOT,
		env: { ...process.env, VITEST: undefined, VITEST_WORKER_ID: undefined, ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const lines: string[] = [];
	const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
	const onData = (buffer: { partial: string }) => (chunk: Buffer) => {
		buffer.partial += chunk.toString('utf8');
		const parts = buffer.partial.split('\n');
		buffer.partial = parts.pop() ?? '';
		for (const line of parts) {
			lines.push(line);
			for (const waiter of [...waiters]) {
				if (waiter.match(line)) {
					waiters.splice(waiters.indexOf(waiter), 1);
					waiter.resolve(line);
				}
			}
		}
	};
	child.stdout?.on('data', onData({ partial: '' }));
	child.stderr?.on('data', onData({ partial: '' }));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.once('exit', (code, signal) => resolve({ code, signal }))
	);
	return {
		child,
		lines,
		exited,
		waitFor(pattern, timeoutMs = 60_000) {
			const match = typeof pattern === 'function' ? pattern : (line: string) => pattern.test(line);
			const existing = lines.find(match);
			if (existing) return Promise.resolve(existing);
			return new Promise((resolve, reject) => {
				const timer = setTimeout(
					() => reject(new Error(`timed out waiting for ${pattern}; output:\n${lines.slice(-40).join('\n')}`)),
					timeoutMs
				);
				waiters.push({
					match,
					resolve: (line) => {
						clearTimeout(timer);
						resolve(line);
					}
				});
				void exited.then(({ code }) => {
					clearTimeout(timer);
					reject(new Error(`process exited (${code}) before ${pattern}; output:\n${lines.slice(-40).join('\n')}`));
				});
			});
		}
	};
}

/** Parses the JSON log lines a Facet process printed. */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
	const out: Record<string, unknown>[] = [];
	for (const line of lines) {
		if (!line.startsWith('{')) continue;
		try {
			out.push(JSON.parse(line));
		} catch {
			// Not a log line.
		}
	}
	return out;
}
