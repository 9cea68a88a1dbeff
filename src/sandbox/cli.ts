/**
 * `npm run emulator`: the sandbox on its own, for people and for running the bot by hand.
 * Port from EMULATOR_PORT (default 8790).
 */
import { Emulator } from './emulator.ts';

const port = Number(process.env.EMULATOR_PORT ?? 8790);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	process.stderr.write(`EMULATOR_PORT must be a port number, got "${process.env.EMULATOR_PORT}"\n`);
	process.exit(1);
}

const logger = {
	info: (...args: unknown[]) => process.stdout.write(`${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`),
	warn: (...args: unknown[]) =>
		process.stderr.write(`warn: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`),
	error: (...args: unknown[]) =>
		process.stderr.write(
			`error: ${args.map((a) => (a instanceof Error ? a.stack : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`
		),
	debug: () => {}
};

const emulator = new Emulator({ port, logger });
await emulator.start();

const s = emulator.seed;
process.stdout.write(`
Discord sandbox emulator
  REST      ${emulator.restUrl}          (discord.js: rest: { api: '${emulator.restUrl}' })
  Gateway   ${emulator.gatewayUrl}
  OAuth2    ${emulator.baseUrl}/oauth2/authorize?client_id=${emulator.applicationId}&response_type=code&scope=identify%20guilds&redirect_uri=...
  Control   ${emulator.baseUrl}/_emulator/state
  Bot token ${emulator.botToken}
  App id    ${emulator.applicationId}

Guild "Facet Sandbox" ${s.guildId}
  channels  general ${s.channels.general}  welcome ${s.channels.welcome}  daily ${s.channels.daily}  feeds ${s.channels.feeds}  Lounge (voice) ${s.channels.lounge}
  roles     @everyone ${s.roles.everyone}  Admin ${s.roles.admin}  Member ${s.roles.member}  Facet ${s.roles.bot}
  users     ada ${s.users.ada} (owner)  grace ${s.users.grace} (Admin)  linus ${s.users.linus}  margaret ${s.users.margaret}  alan ${s.users.alan} (Member)

`);

let stopping = false;
const shutdown = (signal: string): void => {
	if (stopping) return;
	stopping = true;
	process.stdout.write(`${signal}: stopping the emulator\n`);
	emulator.stop().then(
		() => process.exit(0),
		(error: unknown) => {
			process.stderr.write(`failed to stop cleanly: ${String(error)}\n`);
			process.exit(1);
		}
	);
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
