// Facet itself (every plugin, mileage on with no cooldown and no minimum length, so every message goes the whole
// award path), against the driver's emulator and a scratch database.
process.env.TS_NODE_DEV ??= 'true';

const { container } = await import('@sapphire/framework');
const { startFacet } = await import('../../src/core/boot.ts');
const { startSandboxTarget } = await import('../../src/sandbox/target.ts');
const { parseEnv } = await import('../../src/core/env.ts');
const { createLogger } = await import('../../src/core/logger.ts');
const { answerCpu, memoryStats, now, roundCounter, send } = await import('./protocol.ts');

const started = now();
const { plugins } = await import('../../src/plugins/index.ts');
const env = parseEnv(process.env, plugins);
const logger = createLogger({ level: env.LOG_LEVEL, format: 'json' });
const handle = await startFacet({ env, logger, plugins, discord: (context) => startSandboxTarget(context) });
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
send({ type: 'ready', startMs: Math.round(now() - started) });
