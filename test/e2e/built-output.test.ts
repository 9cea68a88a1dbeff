import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { NODE, ROOT, type RunningProcess, runNode } from '../helpers/process.ts';

// A build folder of its own, so a concurrent `npm run build` never sees it half-written.
const BUILD_DIR = 'dist-test-e2e';
const dataDir = mkdtempSync(join(tmpdir(), 'facet-built-'));
let proc: RunningProcess | undefined;

beforeAll(() => {
	execFileSync(NODE, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent', '--out-dir', BUILD_DIR], {
		cwd: ROOT,
		stdio: 'pipe'
	});
}, 120_000);

afterAll(() => {
	proc?.child.kill('SIGKILL');
	rmSync(join(ROOT, BUILD_DIR), { recursive: true, force: true });
	rmSync(dataDir, { recursive: true, force: true });
});

describe('the built output (what the Docker image runs)', () => {
	it('GIVEN only the build THEN core and plugin pieces load from it: /ping and the plugins’ guild commands answer', async () => {
		const emulatorPort = await freePort();
		proc = runNode([`${BUILD_DIR}/main.js`], {
			NODE_ENV: 'production',
			DATA_DIR: dataDir,
			DATABASE_URL: undefined,
			EMULATOR_PORT: String(emulatorPort),
			API_PORT: String(await freePort()),
			LOG_FORMAT: 'json',
			TASKS_QUEUE: `facet-built-${process.pid}`
		});
		await proc.waitFor(/Facet is ready/, 90_000);
		// Readiness does not wait for the guild command sweep; the plugin commands below need it done.
		await proc.waitFor(/application commands in sync/, 30_000);
		const state = (await (await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/state`)).json()) as {
			guilds: { id: string; name: string; channels: { id: string; name: string }[] }[];
			users: { id: string; username: string }[];
		};
		const guild = state.guilds.find((g) => g.name === 'Facet Sandbox')!;
		const general = guild.channels.find((c) => c.name === 'general')!.id;
		const grace = state.users.find((u) => u.username === 'grace')!.id;
		const run = async (command: string) =>
			(await (
				await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/interactions`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ guild_id: guild.id, channel_id: general, user_id: grace, command })
				})
			).json()) as { content: string };
		expect((await run('ping')).content).toMatch(/^Pong!/);
		const list = await run('plugins list');
		expect(list.content).toContain('**config**');
		expect(list.content).toContain('**mileage**');
		const commands = (await (await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/guilds/${guild.id}/commands`)).json()) as {
			name: string;
		}[];
		expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['ping', 'config', 'plugins', 'mileage']));
		proc.child.kill('SIGTERM');
		expect((await proc.exited).code).toBe(0);
	}, 150_000);
});
