import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_SEED } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { NODE, ROOT, type RunningProcess, runNode } from '../helpers/process.ts';
import { waitUntil } from '../helpers/sandbox.ts';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'packages', 'facet-plugin-hello');

/**
 * A plugin published as an npm package, installed the way a host installs one (a real `npm install`, packed
 * and copied, not linked), loaded by naming it in FACET_PLUGINS: no change to Facet's code.
 */
// The production build bundles the libraries a plugin shares with Facet (tsup.config.ts); a plugin loaded from
// outside it must still get Facet's copies of them, so it runs from the build as from the sources.
const BUILD_DIR = 'dist-test-plugin-package';
const entries = [
	{ from: 'the sources', main: () => join(ROOT, 'src', 'main.ts') },
	{
		from: 'the production build',
		main: () => {
			execFileSync(NODE, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent', '--out-dir', BUILD_DIR], {
				cwd: ROOT,
				stdio: 'pipe'
			});
			return join(ROOT, BUILD_DIR, 'main.js');
		}
	}
];

describe.each(entries)('a plugin from an npm package, Facet run from $from', ({ main }) => {
	// Inside the project, as a host's install would be: the package's own imports (@sapphire/framework, zod,
	// MikroORM) resolve to Facet's copies, so there is one container and one ORM.
	const host = join(ROOT, '.scratch', `plugin-package-${process.pid}`);
	let db: ScratchDatabase;
	let bot: RunningProcess | undefined;
	afterAll(async () => {
		if (bot && bot.child.exitCode === null) {
			bot.child.kill('SIGTERM');
			await bot.exited;
		}
		await db?.drop();
		rmSync(host, { recursive: true, force: true });
		rmSync(join(ROOT, BUILD_DIR), { recursive: true, force: true });
	});

	it('GIVEN FACET_PLUGINS=facet-plugin-hello THEN its table is migrated, its command runs through the emulator, and it switches off', async () => {
		mkdirSync(host, { recursive: true });
		writeFileSync(
			join(host, 'package.json'),
			// Like Facet's own package.json (an ES module package: Sapphire's loader reads the working folder's).
			JSON.stringify({ name: 'facet-host', private: true, type: 'module', dependencies: { 'facet-plugin-hello': `file:${FIXTURE}` } })
		);
		// --install-links packs and copies the folder, as from the registry; peers are Facet's own.
		execFileSync('npm', ['install', '--install-links', '--legacy-peer-deps', '--no-audit', '--no-fund', '--ignore-scripts'], {
			cwd: host,
			stdio: 'pipe'
		});
		expect(existsSync(join(host, 'node_modules', 'facet-plugin-hello', 'commands', 'hello.js'))).toBe(true);

		db = await createScratchDatabase('facet_pkg');
		const emulatorPort = await freePort();
		bot = runNode(
			[main()],
			{
				DISCORD_TOKEN: undefined,
				FACET_PLUGINS: 'facet-plugin-hello',
				DATABASE_URL: db.url,
				DATA_DIR: join(host, 'data'),
				API_PORT: String(await freePort()),
				API_HOST: '127.0.0.1',
				EMULATOR_PORT: String(emulatorPort),
				LOG_FORMAT: 'json',
				TASKS_QUEUE: `facet-pkg-${process.pid}`
			},
			{ cwd: host }
		);
		const ready = JSON.parse(await bot.waitFor(/Facet is ready/, 60_000)) as { plugins: string[] };
		expect(ready.plugins).toContain('hello');

		const migrated = await query<{ name: string }>(db.url, "select name from core_migrations where name like 'hello/%'");
		expect(migrated.map((row) => row.name)).toEqual(['hello/HelloInitial']);

		const emulator = `http://127.0.0.1:${emulatorPort}`;
		const interact = async (user: string, command: string, options?: Record<string, unknown>) => {
			const response = await fetch(`${emulator}/_emulator/interactions`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ guild_id: SANDBOX_SEED.guildId, channel_id: SANDBOX_SEED.channels.general, user_id: user, command, options })
			});
			return { status: response.status, body: (await response.json()) as { content?: string } };
		};
		const commandNames = async () => {
			const response = await fetch(`${emulator}/_emulator/guilds/${SANDBOX_SEED.guildId}/commands`);
			return ((await response.json()) as { name: string }[]).map((command) => command.name);
		};

		expect(await waitUntil(commandNames, (names) => names.includes('hello'), 15_000)).toContain('hello');
		const first = await interact(SANDBOX_SEED.users.linus, 'hello');
		expect(first.body.content).toBe('Hello, linus! (greeting number 1)');
		expect(await query(db.url, 'select user_id from hello_entry')).toEqual([{ user_id: SANDBOX_SEED.users.linus }]);

		const off = await interact(SANDBOX_SEED.users.grace, 'plugins disable', { plugin: 'hello' });
		expect(off.body.content).toContain('now off');
		expect(await waitUntil(commandNames, (names) => !names.includes('hello'), 15_000)).not.toContain('hello');
		// Discord no longer offers the command in that guild.
		expect((await interact(SANDBOX_SEED.users.linus, 'hello')).status).toBe(400);
	}, 120_000);
});
