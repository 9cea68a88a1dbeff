import type { Client, Guild } from 'discord.js';
import { Events } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { shardOf } from '../../src/sandbox/index.ts';
import { call, connectClient, startEmulator, waitFor } from './helpers.ts';

describe('sharding', () => {
	let emulator: Emulator;
	const clients: Client<true>[] = [];
	const messages: Array<{ shard: number; guild: string | null; content: string }> = [];
	let otherGuildId: string;

	beforeAll(async () => {
		emulator = await startEmulator({ shards: 2 });
		// A guild whose id lands on the other shard than the seed guild.
		otherGuildId = (((BigInt(emulator.seed.guildId) >> 22n) + 1n) << 22n).toString();
		const created = await call(emulator, 'POST', '/_emulator/guilds', { name: 'Second Sandbox', id: otherGuildId });
		expect(created.status).toBe(201);
		for (const shard of [0, 1]) {
			const client = await connectClient(emulator, { shards: [shard], shardCount: 2 });
			client.on(Events.MessageCreate, (m) => messages.push({ shard, guild: m.guildId, content: m.content }));
			clients.push(client);
		}
	});

	afterAll(async () => {
		for (const client of clients) await client.destroy();
		await emulator?.stop();
	});

	it('GIVEN the seeded and the created guild THEN they sit on different shards of two', () => {
		expect(shardOf(emulator.seed.guildId, 2)).not.toBe(shardOf(otherGuildId, 2));
		expect(shardOf(otherGuildId, 2)).toBe(Number((BigInt(otherGuildId) >> 22n) % 2n));
	});

	it('GIVEN two shards THEN each client caches only the guilds of its shard', () => {
		const guildsOf = (shard: number) => [...(clients[shard]?.guilds.cache.keys() ?? [])];
		const seedShard = shardOf(emulator.seed.guildId, 2);
		expect(guildsOf(seedShard)).toEqual([emulator.seed.guildId]);
		expect(guildsOf(1 - seedShard)).toEqual([otherGuildId]);
		expect(emulator.snapshot().gateway.connected_shards).toEqual([0, 1]);
	});

	it('GIVEN messages in both guilds THEN each reaches only the shard of its guild', async () => {
		const { seed } = emulator;
		const otherChannel = emulator.snapshot().guilds.find((g) => g.id === otherGuildId)?.channels[0]?.id ?? '';
		await call(emulator, 'POST', '/_emulator/members', { guild_id: otherGuildId, user_id: seed.users.linus });
		emulator.sendMessage({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.ada, content: 'to seed guild' });
		emulator.sendMessage({ guild_id: otherGuildId, channel_id: otherChannel, user_id: seed.users.linus, content: 'to other guild' });
		await waitFor(() => messages.length >= 2, 5_000, 'both messages');
		await new Promise((resolve) => setTimeout(resolve, 100)); // leave time for a wrongly routed copy to show up
		expect(messages).toHaveLength(2);
		for (const message of messages) expect(message.shard).toBe(shardOf(message.guild ?? '', 2));
	});

	it('GIVEN a guild created while connected THEN GUILD_CREATE reaches only its shard', async () => {
		const seen: Array<{ shard: number; id: string }> = [];
		const listeners = clients.map((client, shard) => {
			const listener = (guild: Guild) => seen.push({ shard, id: guild.id });
			client.on(Events.GuildCreate, listener);
			return listener;
		});
		const res = await call(emulator, 'POST', '/_emulator/guilds', { name: 'Late Guild' });
		const id = (res.body as { id: string }).id;
		await waitFor(() => seen.length > 0, 5_000, 'GUILD_CREATE');
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(seen).toEqual([{ shard: shardOf(id, 2), id }]);
		clients.forEach((client, i) => {
			client.off(Events.GuildCreate, listeners[i] as (guild: Guild) => void);
		});
	});

	it('GIVEN gateway/bot THEN it recommends the configured shard count', async () => {
		const res = await call(emulator, 'GET', '/api/v10/gateway/bot', undefined, { Authorization: `Bot ${emulator.botToken}` });
		expect((res.body as { shards: number }).shards).toBe(2);
	});
});
