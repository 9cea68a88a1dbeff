import { cpSync, mkdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { jsonLines, ROOT, type RunningProcess, runNode } from '../helpers/process.ts';

// A scratch copy of the echo fixture inside the repository (so its imports of src/ and node_modules resolve, at
// the fixture's depth) in a git-ignored folder (`dist-test*`), edited while `npm run dev` runs.
const scratch = join(ROOT, 'dist-test-hmr', `${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
const plugin = join(scratch, 'plugins', 'echo');
const echoFile = join(plugin, 'commands', 'echo.ts');
const RELOAD_DEADLINE_MS = 5_000;

let emulator: Emulator;
let database: ScratchDatabase;
let bot: RunningProcess;
let apiPort: number;
let ids: { guild: string; channel: string; user: string };

beforeAll(async () => {
	mkdirSync(join(scratch, 'plugins'), { recursive: true });
	cpSync(join(ROOT, 'test', 'fixtures', 'plugins', 'echo'), plugin, { recursive: true });
	database = await createScratchDatabase('facet_hmr');
	emulator = new Emulator({ port: 0, heartbeatIntervalMs: 5_000 });
	await emulator.start();
	apiPort = await freePort();
	ids = { guild: emulator.seed.guildId, channel: emulator.seed.channels.general, user: emulator.seed.users.linus };
	// What `npm run dev` runs (package.json "dev"), against the emulator of this test so its IDENTIFYs can be counted.
	bot = runNode(['scripts/dev.ts'], {
		DISCORD_TOKEN: undefined,
		NODE_ENV: 'development',
		// Pieces only: no Vite dev server, no dashboard build.
		DASHBOARD_DEV: '0',
		DASHBOARD_BUILD: 'false',
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: database.url,
		API_PORT: String(apiPort),
		API_HOST: '127.0.0.1',
		FACET_EXTRA_PLUGINS: join(plugin, 'index.ts'),
		TASKS_QUEUE: `facet-hmr-${process.pid}-${apiPort}`,
		LOG_FORMAT: 'json'
	});
	await bot.waitFor(/Facet is ready/, 90_000);
	// Readiness does not wait for the guild command sweep; the plugin commands run below need it done.
	await bot.waitFor(/application commands in sync/, 30_000);
	await bot.waitFor(/hot reload enabled/, 10_000);
}, 120_000);

afterAll(async () => {
	if (bot && bot.child.exitCode === null) {
		bot.child.kill('SIGTERM');
		await Promise.race([bot.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
		if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
	}
	await emulator?.stop();
	await database?.drop();
	rmSync(scratch, { recursive: true, force: true });
	// The parent folder goes too once no other run uses it.
	try {
		rmdirSync(join(scratch, '..'));
	} catch {
		// Not empty (a parallel run) or already gone.
	}
}, 30_000);

async function run(command: string, options?: Record<string, string>): Promise<{ status: number; content?: string; error?: string }> {
	const response = await fetch(`${emulator.baseUrl}/_emulator/interactions`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ guild_id: ids.guild, channel_id: ids.channel, user_id: ids.user, command, options })
	});
	const body = (await response.json()) as { content?: string; error?: string };
	return { status: response.status, ...body };
}

async function guildCommandNames(): Promise<string[]> {
	const response = await fetch(`${emulator.baseUrl}/_emulator/guilds/${ids.guild}/commands`);
	return ((await response.json()) as { name: string }[]).map((command) => command.name).sort();
}

/** Polls `probe` until it returns true; resolves with the milliseconds it took, rejects past the deadline. */
async function within(deadlineMs: number, probe: () => Promise<boolean>): Promise<number> {
	const started = performance.now();
	while (performance.now() - started < deadlineMs) {
		if (await probe()) return performance.now() - started;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	throw new Error(`not within ${deadlineMs} ms; last output:\n${bot.lines.slice(-15).join('\n')}`);
}

const logs = () => jsonLines(bot.lines) as { msg?: string; piece?: string; store?: string; ms?: number; file?: string }[];

describe('npm run dev: hot reload of pieces', () => {
	it('GIVEN the echo command WHEN its file is edited THEN the next invocation answers with the new code within 5 s, without a second IDENTIFY', async () => {
		expect(await run('echo', { text: 'hi' })).toMatchObject({ status: 200, content: 'echo: hi' });
		expect(emulator.stats.identifies).toBe(1);

		const edited = performance.now();
		writeFileSync(echoFile, readFileSync(echoFile, 'utf8').replace('reply(`', 'reply(`reloaded '));
		await within(RELOAD_DEADLINE_MS, async () => (await run('echo', { text: 'hi' })).content === 'reloaded echo: hi');
		const tookMs = performance.now() - edited;
		expect(tookMs).toBeLessThan(RELOAD_DEADLINE_MS);

		expect(emulator.stats.identifies).toBe(1);
		expect(bot.child.exitCode).toBeNull();
		const line = logs().find((entry) => entry.msg === 'hot reload: piece reloaded' && entry.piece === 'echo');
		expect(line).toMatchObject({ store: 'commands', file: expect.stringContaining('commands/echo.ts') });
		expect(typeof line?.ms).toBe('number');
		console.info(`[hmr] edit → new reply in ${Math.round(tookMs)} ms (reload itself ${line?.ms} ms)`);
	});

	it('GIVEN a new command file WHEN it is added THEN it is registered for the guild and answers; deleting it unregisters it', async () => {
		expect(await guildCommandNames()).not.toContain('shout');
		mkdirSync(join(plugin, 'lib'), { recursive: true });
		writeFileSync(join(plugin, 'lib', 'volume.ts'), "export const volume = (text: string): string => text.toUpperCase().concat('!');\n");
		writeFileSync(
			join(plugin, 'commands', 'shout.ts'),
			`import type { Command } from '@sapphire/framework';
import { FacetCommand } from '../../../../../src/core/commands.ts';
import { volume } from '../lib/volume.ts';

export class ShoutCommand extends FacetCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, { ...options, name: 'shout', description: 'Shout text back' });
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) =>
			builder.setName('shout').setDescription('Shout text back').addStringOption((option) => option.setName('text').setDescription('What').setRequired(true))
		);
	}

	public override async chatInputRun(interaction: Command.ChatInputCommandInteraction) {
		return interaction.reply(volume(interaction.options.getString('text', true)));
	}
}
`
		);
		await within(RELOAD_DEADLINE_MS, async () => (await guildCommandNames()).includes('shout'));
		// A plugin command: registered for the guild, not globally.
		const registered = (await (await fetch(`${emulator.baseUrl}/_emulator/guilds/${ids.guild}/commands`)).json()) as {
			name: string;
			guild_id: string | null;
		}[];
		expect(registered.find((command) => command.name === 'shout')?.guild_id).toBe(ids.guild);
		expect(await run('shout', { text: 'hey' })).toMatchObject({ status: 200, content: 'HEY!' });
		expect(logs().some((entry) => entry.msg === 'hot reload: piece loaded' && entry.piece === 'shout' && entry.store === 'commands')).toBe(
			true
		);

		// A module the command imports (not a piece) is reloaded with the command that imports it.
		writeFileSync(join(plugin, 'lib', 'volume.ts'), "export const volume = (text: string): string => text.toUpperCase().concat('!!!');\n");
		await within(RELOAD_DEADLINE_MS, async () => (await run('shout', { text: 'hey' })).content === 'HEY!!!');

		unlinkSync(join(plugin, 'commands', 'shout.ts'));
		await within(RELOAD_DEADLINE_MS, async () => !(await guildCommandNames()).includes('shout'));
		expect(logs().some((entry) => entry.msg === 'hot reload: piece unloaded' && entry.piece === 'shout')).toBe(true);
		expect(await guildCommandNames()).toContain('echo');
		expect(emulator.stats.identifies).toBe(1);
	});

	it('GIVEN a route of the plugin WHEN it is added and then edited THEN the API serves it and then the new code', async () => {
		// Not under [guild]: no session needed, so the answer is the route's own.
		const routeFile = join(plugin, 'routes', 'echo', 'hello.get.ts');
		const url = `http://127.0.0.1:${apiPort}/echo/hello`;
		const source = (word: string) => `import { Route } from '@sapphire/plugin-api';

export class EchoHelloRoute extends Route {
	public run(_request: Route.Request, response: Route.Response) {
		return response.json({ word: '${word}' });
	}
}
`;
		const word = async () => {
			const response = await fetch(url);
			return response.status === 200 ? ((await response.json()) as { word: string }).word : `status ${response.status}`;
		};
		expect(await word()).toBe('status 404');
		writeFileSync(routeFile, source('first'));
		await within(RELOAD_DEADLINE_MS, async () => (await word()) === 'first');
		writeFileSync(routeFile, source('second'));
		await within(RELOAD_DEADLINE_MS, async () => (await word()) === 'second');
		expect(logs().some((entry) => entry.msg === 'hot reload: piece reloaded' && entry.store === 'routes')).toBe(true);
	});

	it('GIVEN the plugin listener and scheduled task WHEN their files are edited THEN the next event and the next run use the new code', async () => {
		const listenerFile = join(plugin, 'listeners', 'echoMessage.ts');
		const taskFile = join(plugin, 'scheduled-tasks', 'echoTick.ts');
		writeFileSync(listenerFile, readFileSync(listenerFile, 'utf8').replace("source: 'listener'", "source: 'listener-v2'"));
		writeFileSync(taskFile, readFileSync(taskFile, 'utf8').replace("text: 'tick'", "text: 'tock'"));
		const rows = (sql: string) => query<{ n: number }>(database.url, sql).then((result) => Number(result[0]?.n ?? 0));
		await within(RELOAD_DEADLINE_MS, async () => {
			await fetch(`${emulator.baseUrl}/_emulator/messages`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ guild_id: ids.guild, channel_id: ids.channel, user_id: ids.user, content: '!echo after edit' })
			});
			await new Promise((resolve) => setTimeout(resolve, 100));
			return (await rows("select count(*) as n from echo_entry where source = 'listener-v2'")) > 0;
		});
		// The task runs every second: a run after the reload writes the new text.
		await within(
			RELOAD_DEADLINE_MS,
			async () => (await rows("select count(*) as n from echo_entry where source = 'task' and text = 'tock'")) > 0
		);
		const reloaded = logs().filter((entry) => entry.msg === 'hot reload: piece reloaded');
		expect(reloaded.some((entry) => entry.piece === 'echoMessage' && entry.store === 'listeners')).toBe(true);
		expect(reloaded.some((entry) => entry.piece === 'echoTick' && entry.store === 'scheduled-tasks')).toBe(true);
		expect(emulator.stats.identifies).toBe(1);
	});

	it('GIVEN a syntax error in an edited command THEN it is logged, the process keeps running and the previous command still answers', async () => {
		const good = readFileSync(echoFile, 'utf8');
		const failuresBefore = logs().filter((entry) => entry.msg?.startsWith('hot reload: loading the file failed')).length;
		writeFileSync(echoFile, good.replace('return interaction.reply(', 'return interaction.reply(((('));
		await within(
			RELOAD_DEADLINE_MS,
			async () => logs().filter((entry) => entry.msg?.startsWith('hot reload: loading the file failed')).length > failuresBefore
		);
		const failure = logs().findLast((entry) => entry.msg?.startsWith('hot reload: loading the file failed'));
		expect(failure).toMatchObject({ store: 'commands', file: expect.stringContaining('commands/echo.ts') });

		expect(bot.child.exitCode).toBeNull();
		expect(await run('echo', { text: 'still' })).toMatchObject({ status: 200, content: 'reloaded echo: still' });
		expect(await guildCommandNames()).toContain('echo');

		// Fixing the file brings the edit in.
		writeFileSync(echoFile, good.replace('reply(`reloaded ', 'reply(`fixed '));
		await within(RELOAD_DEADLINE_MS, async () => (await run('echo', { text: 'ok' })).content === 'fixed echo: ok');
		expect(emulator.stats.identifies).toBe(1);
	});
});
