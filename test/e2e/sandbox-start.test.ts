import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { jsonLines, type RunningProcess, runNode } from '../helpers/process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'facet-sandbox-'));
const running: RunningProcess[] = [];

afterAll(() => {
	for (const proc of running) proc.child.kill('SIGKILL');
	rmSync(dataDir, { recursive: true, force: true });
});

async function startSandbox() {
	const emulatorPort = await freePort();
	const apiPort = await freePort();
	const started = performance.now();
	// Exactly what `npm start` runs, with no token and no DATABASE_URL: emulator + embedded database.
	const proc = runNode(['src/main.ts'], {
		DISCORD_TOKEN: undefined,
		DATABASE_URL: undefined,
		DATA_DIR: dataDir,
		EMULATOR_PORT: String(emulatorPort),
		API_PORT: String(apiPort),
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-test-${process.pid}-${emulatorPort}`
	});
	running.push(proc);
	await proc.waitFor(/Facet is ready/, 90_000);
	const readyMs = performance.now() - started;
	const ready = jsonLines(proc.lines).find((line) => line.msg === 'Facet is ready') as {
		rssMiB: number;
		readyMs: number;
		phasesMs: Record<string, number>;
	};
	return { proc, emulatorPort, apiPort, readyMs, rssMiB: ready.rssMiB, ready };
}

async function stop(proc: RunningProcess) {
	const started = performance.now();
	proc.child.kill('SIGTERM');
	const { code } = await proc.exited;
	return { code, ms: performance.now() - started };
}

describe('npm start with no token (the sandbox)', () => {
	it('GIVEN a fresh machine THEN emulator, bot, embedded database and API start in one command and /ping answers through the control API', async () => {
		const first = await startSandbox();
		// The banner is written beside the ready log line (pino writes asynchronously): either may reach the pipe first.
		await first.proc.waitFor(/curl -s -X POST/, 10_000);
		const output = first.proc.lines.join('\n');
		// One key, one value: the host's pid is logged under its own name, never a second `pid`.
		const hostLine = first.proc.lines.find((line) => line.includes('embedded database started'))!;
		expect(hostLine.match(/"pid":/g)).toHaveLength(1);
		expect(JSON.parse(hostLine).hostPid).not.toBe(JSON.parse(hostLine).pid);
		expect(output).toContain(`http://127.0.0.1:${first.emulatorPort}`);
		// The one URL to open: the dashboard the API serves at `/`.
		expect(output).toContain(`Dashboard (log in as ada, the owner):  http://localhost:${first.apiPort}/`);
		expect(output).toMatch(/curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/_emulator\/interactions/);
		// Where the start's time went, in start order, adding up to the readiness it reports (each rounded to 1 ms).
		const { phasesMs, readyMs } = first.ready;
		expect(Object.keys(phasesMs)).toEqual([
			'target',
			'redis',
			'embedded database',
			'migrations',
			'database',
			'plugin state',
			'client',
			'plugin start',
			'pieces and connect',
			'guilds',
			'commands'
		]);
		const total = Object.values(phasesMs).reduce((sum, ms) => sum + ms, 0);
		expect(Math.abs(total - readyMs)).toBeLessThanOrEqual(Object.keys(phasesMs).length);

		const state = (await (await fetch(`http://127.0.0.1:${first.emulatorPort}/_emulator/state`)).json()) as {
			guilds: { id: string; name: string; channels: { id: string; name: string }[] }[];
			users: { id: string; username: string }[];
		};
		const guild = state.guilds.find((g) => g.name === 'Facet Sandbox')!;
		const general = guild.channels.find((c) => c.name === 'general')!;
		const linus = state.users.find((u) => u.username === 'linus')!;
		const reply = await fetch(`http://127.0.0.1:${first.emulatorPort}/_emulator/interactions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ guild_id: guild.id, channel_id: general.id, user_id: linus.id, command: 'ping' })
		});
		expect(reply.status).toBe(200);
		const body = (await reply.json()) as { content: string; ephemeral: boolean };
		expect(body.content).toMatch(/^Pong! Gateway: .+ · Database: \d+\.\d ms$/);

		const live = await fetch(`http://localhost:${first.apiPort}/livez`);
		expect(live.status).toBe(200);
		const ready = await fetch(`http://localhost:${first.apiPort}/readyz`);
		expect(ready.status).toBe(200);
		expect(await ready.json()).toMatchObject({ ready: true, checks: { gateway: 'up', database: 'up', redis: 'up' } });

		const firstStop = await stop(first.proc);
		expect(firstStop.code).toBe(0);
		expect(firstStop.ms).toBeLessThan(10_000);

		// A later start reuses ./data: the embedded database reopens instead of initialising.
		const second = await startSandbox();
		const again = await fetch(`http://127.0.0.1:${second.emulatorPort}/_emulator/interactions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ guild_id: guild.id, channel_id: general.id, user_id: linus.id, command: 'ping' })
		});
		expect(((await again.json()) as { content: string }).content).toMatch(/^Pong!/);
		const secondStop = await stop(second.proc);
		expect(secondStop.code).toBe(0);
		console.info(
			`[sandbox] first start ${Math.round(first.readyMs)} ms, later start ${Math.round(second.readyMs)} ms; bot RSS at ready ${first.rssMiB} / ${second.rssMiB} MiB; stop ${Math.round(firstStop.ms)} / ${Math.round(secondStop.ms)} ms`
		);
	}, 180_000);
});
