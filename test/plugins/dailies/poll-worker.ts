import { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import { dailiesPlugin } from '../../../src/plugins/dailies/index.ts';
import { FeedFetcher } from '../../../src/plugins/dailies/lib/fetch.ts';
import { FeedPoller } from '../../../src/plugins/dailies/lib/poller.ts';
import type { Sender } from '../../../src/plugins/dailies/lib/sender.ts';

// A feed worker process for the two-workers test: `node poll-worker.ts <database url> <fixture base> <name>`.
// It waits for the fixture server's go signal, runs one poll cycle over every due feed, posting to the fixture's
// sink instead of Discord, and prints what it did as one JSON line.

const [databaseUrl, base, name] = process.argv.slice(2) as [string, string, string];
const orm = await MikroORM.init(createOrmConfig({ clientUrl: databaseUrl, plugins: [dailiesPlugin], poolMax: 4 }));
const sender: Sender = {
	async send(channelId, payload, nonce) {
		const answer = await fetch(`${base}/_sink`, { method: 'POST', body: JSON.stringify({ channelId, payload, nonce, worker: name }) });
		return ((await answer.json()) as { id: string }).id;
	}
};
const hooks = { timeZoneOf: () => 'UTC', localeOf: () => 'en-US', alertsChannelOf: () => null };
const poller = new FeedPoller(orm, new FeedFetcher({ allowPrivate: true }), sender, hooks, pino({ level: 'silent' }));
await fetch(`${base}/_ready/${name}`);
while ((await fetch(`${base}/_go`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
const result = await poller.runCycle();
process.stdout.write(`${JSON.stringify({ name, ...result })}\n`);
await poller.stop();
await orm.close();
