// Facet itself (every plugin, mileage on with no cooldown and no minimum length, so every message goes the whole
// award path), against the driver's emulator and a scratch database. BENCH_FACET_BUILD=dist runs the production
// build (tsup's dist/, as the image runs it) instead of the TypeScript sources.
// It meets the emulator as a bot with a token meets Discord (DISCORD_TOKEN, DISCORD_API_URL): the sandbox's own
// modules (the emulator, its request schemas) stay out of the measured process, as they do in production.
const fromDist = process.env.BENCH_FACET_BUILD === 'dist';
if (!fromDist) process.env.TS_NODE_DEV ??= 'true';
/** A module of Facet by its path under src/, from the sources or from the build (same exports). */
const facetModule = <T>(path: string): Promise<T> => import(fromDist ? `../../dist/${path}.js` : `../../src/${path}.ts`) as Promise<T>;

const { container } = await import('@sapphire/framework');
const { startFacet } = await facetModule<typeof import('../../src/core/boot.ts')>('core/boot');
const { tokenTarget } = await facetModule<typeof import('../../src/core/target.ts')>('core/target');
const { parseEnv } = await facetModule<typeof import('../../src/core/env.ts')>('core/env');
const { createLogger } = await facetModule<typeof import('../../src/core/logger.ts')>('core/logger');
const { answerCpu, memoryStats, now, roundCounter, send } = await import('./protocol.ts');

const started = now();
const { plugins } = await facetModule<typeof import('../../src/plugins/index.ts')>('plugins/index');
const { EMULATOR_URL: emulatorUrl, ...environment } = process.env;
const env = parseEnv({ ...environment, DISCORD_TOKEN: process.env.BOT_TOKEN, DISCORD_API_URL: `${emulatorUrl}/api` }, plugins);
const logger = createLogger({ level: env.LOG_LEVEL, format: 'json' });
const handle = await startFacet({ env, logger, plugins, discord: tokenTarget(env) });
const guildId = process.env.BENCH_GUILD_ID;
if (guildId)
	await container.plugins.updateSettings(
		guildId,
		'mileage',
		{ cooldownSeconds: 0, minMessageLength: 0 },
		{ id: 'bench', source: 'system' }
	);
// Added after Facet's listeners, so it runs once they all returned for the event.
handle.client.on('messageCreate', roundCounter(send));
answerCpu();
process.on('message', (message: { type: string; gc?: boolean }) => {
	if (message.type === 'report') {
		send({
			type: 'report',
			stats: {
				...memoryStats(message.gc === true),
				flushTransactions: container.mileage.flushTransactions,
				bufferedKeys: container.mileage.buffer.size
			}
		});
	}
	if (message.type === 'exit') void handle.shutdown.run('benchmark finished').then(() => process.exit(0));
});
send({ type: 'ready', startMs: Math.round(now() - started), phasesMs: handle.phasesMs });
