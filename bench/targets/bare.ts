// A bare discord.js client: the same intents, partials and caches as Facet's client, one `messageCreate` listener
// that does nothing. The reference the benchmark divides Facet's throughput by.
process.env.TS_NODE_DEV ??= 'true';

const { Client } = await import('discord.js');
const { createClient } = await import('../../src/core/client.ts');
const { parseEnv } = await import('../../src/core/env.ts');
const { createLogger } = await import('../../src/core/logger.ts');
const { now, roundCounter, send } = await import('./protocol.ts');

const started = now();
const emulatorUrl = process.env.EMULATOR_URL!;
// Facet's own client factory, only to read its options: the reference runs with exactly the same caches.
const env = parseEnv({ EMULATOR_URL: emulatorUrl, LOG_LEVEL: 'silent' });
const facetOptions = createClient(env, createLogger({ level: 'silent', format: 'json' }), { restUrl: `${emulatorUrl}/api` }, []).options;
// Facet's module augmentation makes ClientOptions.tasks required; a plain discord.js client has no such option.
const client = new Client({
	intents: facetOptions.intents,
	partials: facetOptions.partials,
	makeCache: facetOptions.makeCache,
	rest: { api: `${emulatorUrl}/api` }
} as ConstructorParameters<typeof Client>[0]);
client.on('messageCreate', () => undefined);
client.on('messageCreate', roundCounter(send));
process.on('message', (message: { type: string }) => {
	if (message.type === 'report') send({ type: 'report', stats: { rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) } });
	if (message.type === 'exit') void client.destroy().then(() => process.exit(0));
});
await new Promise<void>((resolve) => {
	client.once('clientReady', () => resolve());
	void client.login(process.env.BOT_TOKEN!);
});
send({ type: 'ready', startMs: Math.round(now() - started) });
