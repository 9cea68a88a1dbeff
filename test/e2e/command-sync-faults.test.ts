import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../helpers/postgres.ts';
import { jsonLines, type RunningProcess, runNode } from '../helpers/process.ts';
import { waitUntil } from '../helpers/sandbox.ts';

const GUILDS = 20;
const PLUGIN_COMMANDS = ['config', 'dailies', 'mileage', 'mileage-admin', 'plugins'];
let db: ScratchDatabase;
let emulator: Emulator;
let guildIds: string[];
const running: RunningProcess[] = [];

beforeAll(async () => {
	db = await createScratchDatabase();
	emulator = new Emulator({ port: await freePort() });
	await emulator.start();
	for (let i = 1; i < GUILDS; i++) emulator.createGuild({ name: `Guild ${i}` });
	guildIds = emulator.snapshot().guilds.map((guild) => guild.id);
});

afterAll(async () => {
	for (const proc of running) proc.child.kill('SIGKILL');
	await emulator?.stop();
	await db?.drop();
});

interface Bot {
	proc: RunningProcess;
	api: string;
}

async function startBot(): Promise<Bot> {
	const apiPort = await freePort();
	const proc = runNode(['src/main.ts'], {
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: db.url,
		API_PORT: String(apiPort),
		API_HOST: '127.0.0.1',
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-sync-faults-${process.pid}`
	});
	running.push(proc);
	await proc.waitFor(/Facet is ready/, 90_000);
	await proc.waitFor(/application commands in sync/, 90_000);
	return { proc, api: `http://127.0.0.1:${apiPort}` };
}

async function stopBot(bot: Bot) {
	bot.proc.child.kill('SIGTERM');
	expect((await bot.proc.exited).code).toBe(0);
}

const pluginCommandsOf = (guildId: string) =>
	emulator
		.guildCommands(guildId)
		.filter((command) => command.guild_id === guildId)
		.map((command) => String(command.name))
		.sort();
const commandWrites = () =>
	Object.entries(emulator.stats.restByRoute)
		.filter(([route]) => route.includes('/commands') && !route.startsWith('GET '))
		.reduce((sum, [, count]) => sum + count, 0);

describe('one guild failing command sync', () => {
	it('GIVEN one guild whose command PUT answers 50001 Missing Access THEN every other guild gets its commands, the failing one is named in the log, /readyz and a metric, and it is retried until it works', async () => {
		// Early in the sweep, so that with a stop-at-first-failure sync most guilds would be left without commands.
		const failing = guildIds[2]!;
		emulator.injectFault({ kind: 'rest_error', route: `/guilds/${failing}/commands`, status: 403, code: 50001, count: 10_000 });
		const bot = await startBot();

		for (const id of guildIds) {
			if (id === failing) expect(pluginCommandsOf(id)).toEqual([]);
			else expect(pluginCommandsOf(id)).toEqual(PLUGIN_COMMANDS);
		}
		const failure = jsonLines(bot.proc.lines).find((line) => line.msg === 'application command sync failed for a guild');
		expect(failure).toMatchObject({ guildId: failing, code: 50001, status: 403, attempt: 1 });

		const readyz = await fetch(`${bot.api}/readyz`);
		// Readiness is about the process; the failing guild is a detail, not a reason to take it out of rotation.
		expect(readyz.status).toBe(200);
		expect(await readyz.json()).toMatchObject({
			details: { commandSync: { state: 'done', failingCount: 1, failing: [{ scope: failing, code: 50001, status: 403 }] } }
		});
		const metrics = await (await fetch(`${bot.api}/metrics`)).text();
		expect(metrics).toMatch(/^facet_command_sync_failing_guilds 1$/m);

		// The bot gets the scope (re-invited): the next retry (backoff from 2 s) sends the commands.
		emulator.clearFaults();
		expect(
			await waitUntil(
				() => pluginCommandsOf(failing),
				(names) => names.length > 0,
				30_000
			)
		).toEqual(PLUGIN_COMMANDS);
		await bot.proc.waitFor(/application command sync recovered/, 5_000);
		expect(await (await fetch(`${bot.api}/readyz`)).json()).toMatchObject({ details: { commandSync: { failingCount: 0 } } });
		await stopBot(bot);
	}, 120_000);

	it('GIVEN the guild row cannot be written on join THEN the joined guild still gets its commands', async () => {
		const bot = await startBot();
		// A real database refusing the write (as during an outage or a constraint failure), only for core_guild.
		await query(
			db.url,
			`create function refuse_core_guild() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$;
			 create trigger refuse_core_guild before insert or update on core_guild for each row execute function refuse_core_guild();`
		);
		try {
			const joined = emulator.createGuild({ name: 'Joined later' });
			expect(
				await waitUntil(
					() => pluginCommandsOf(joined.id),
					(names) => names.length > 0,
					15_000
				)
			).toEqual(PLUGIN_COMMANDS);
			await bot.proc.waitFor(/could not record the joined guild/, 5_000);
			guildIds.push(joined.id);
		} finally {
			await query(db.url, 'drop trigger refuse_core_guild on core_guild; drop function refuse_core_guild();');
		}
		await stopBot(bot);
	}, 120_000);
});

describe('stored command hashes are a cache', () => {
	it("GIVEN a guild's commands removed on Discord's side THEN the next start notices (one GET per scope) and sends them again, and only them", async () => {
		const gone = guildIds[5]!;
		// A run that leaves every guild right (and stores their hashes).
		await stopBot(await startBot());
		expect(pluginCommandsOf(gone)).toEqual(PLUGIN_COMMANDS);
		// Someone (another deployment, a script, Discord itself) empties the guild's commands behind the bot's back.
		const wipe = await fetch(`${emulator.restUrl}/v10/applications/${emulator.applicationId}/guilds/${gone}/commands`, {
			method: 'PUT',
			headers: { 'content-type': 'application/json', authorization: `Bot ${emulator.botToken}` },
			body: '[]'
		});
		expect(wipe.status).toBe(200);
		expect(pluginCommandsOf(gone)).toEqual([]);

		const writesBefore = commandWrites();
		const bot = await startBot();
		expect(pluginCommandsOf(gone)).toEqual(PLUGIN_COMMANDS);
		expect(commandWrites() - writesBefore).toBe(1);
		expect(jsonLines(bot.proc.lines).some((line) => line.scope === gone && String(line.msg).includes('differ'))).toBe(true);
		await stopBot(bot);
	}, 120_000);
});
