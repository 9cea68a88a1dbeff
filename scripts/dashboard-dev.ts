import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const dashboard = join(import.meta.dirname, '..', 'dashboard');

/**
 * Starts `vite` for the dashboard in a child process on `port`, proxying the API to the bot (FACET_API_URL, else
 * http://localhost:API_PORT); it stops with this process. Resolves once Vite printed its URL.
 */
export async function startDashboardDevServer(port: string): Promise<ChildProcess> {
	const vite = join(dirname(createRequire(join(dashboard, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
	const api = process.env.FACET_API_URL ?? `http://localhost:${process.env.API_PORT ?? '8787'}`;
	const child = spawn(process.execPath, [vite, '--port', port, '--strictPort'], {
		cwd: dashboard,
		env: { ...process.env, FACET_API_URL: api, DASHBOARD_DEV_PORT: port },
		stdio: ['ignore', 'pipe', 'inherit']
	});
	const stop = () => child.kill('SIGTERM');
	process.once('exit', stop);
	await new Promise<void>((resolve, reject) => {
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`vite exited with ${code} before it was ready`)));
		child.stdout!.on('data', (chunk: Buffer) => {
			if (chunk.toString().includes('Local')) resolve();
		});
	});
	child.stdout!.resume();
	process.stdout.write(`Dashboard (Vite, hot reload; API proxied to ${api}): http://localhost:${port}/\n`);
	return child;
}
