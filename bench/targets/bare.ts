// A bare discord.js client: the reference Facet is divided by. By default it has the same intents, partials and
// caches as Facet's client (read from Facet's own client factory) and one `messageCreate` listener that does
// nothing. BENCH_BARE_CACHES=default gives it discord.js's default caches and loads no Facet code at all, for
// memory figures: the intents and partials then come from the driver (BENCH_INTENTS, BENCH_PARTIALS, read from
// Facet's factory there). BENCH_PING=1 adds the same /ping Facet has, written directly: a `select 1` on the
// database, then an ephemeral reply.
process.env.TS_NODE_DEV ??= 'true';

const { Client, MessageFlags } = await import('discord.js');
const { answerCpu, memoryStats, now, roundCounter, send } = await import('./protocol.ts');

const started = now();
const emulatorUrl = process.env.EMULATOR_URL!;
const options =
	process.env.BENCH_BARE_CACHES === 'default'
		? { intents: Number(process.env.BENCH_INTENTS), partials: JSON.parse(process.env.BENCH_PARTIALS ?? '[]') as number[] }
		: await import('./facet-client-options.ts').then(({ facetClientOptions }) => facetClientOptions(emulatorUrl));
// Facet's module augmentation makes ClientOptions.tasks required; a plain discord.js client has no such option.
const client = new Client({ ...options, rest: { api: `${emulatorUrl}/api` } } as ConstructorParameters<typeof Client>[0]);
client.on('messageCreate', () => undefined);
client.on('messageCreate', roundCounter(send));
answerCpu();
if (process.env.BENCH_PING === '1') {
	const { default: pg } = await import('pg');
	const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
	client.on('interactionCreate', async (interaction) => {
		if (!interaction.isChatInputCommand() || interaction.commandName !== 'ping') return;
		const startedDb = performance.now();
		await pool.query('select 1');
		const database = `${(performance.now() - startedDb).toFixed(1)} ms`;
		await interaction.reply({
			content: `Pong! Gateway: ${Math.round(client.ws.ping)} ms · Database: ${database}`,
			flags: MessageFlags.Ephemeral
		});
	});
	client.once('clientReady', async () => {
		for (const guild of client.guilds.cache.values())
			await client.application!.commands.set([{ name: 'ping', description: 'Show the gateway and database round-trip times' }], guild.id);
		send({ type: 'ready', startMs: Math.round(now() - started) });
	});
}
process.on('message', (message: { type: string; gc?: boolean }) => {
	if (message.type === 'report') send({ type: 'report', stats: memoryStats(message.gc === true) });
	if (message.type === 'exit') void client.destroy().then(() => process.exit(0));
});
await new Promise<void>((resolve) => {
	client.once('clientReady', () => resolve());
	void client.login(process.env.BOT_TOKEN!);
});
if (process.env.BENCH_PING !== '1') send({ type: 'ready', startMs: Math.round(now() - started) });
