import { GatewayIntentBits as I } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, type GatewayPayload, RawGateway, startEmulator } from './helpers.ts';

const LARGE = 100_000;
type Chunk = {
	guild_id: string;
	members: Array<{ user: { id: string; username: string } }>;
	chunk_index: number;
	chunk_count: number;
	nonce?: string;
	not_found?: string[];
};

describe('large guilds and members', () => {
	let emulator: Emulator;
	let large: { id: string; member_count: number; seed_ms: number };
	const sockets: RawGateway[] = [];
	const bot = () => ({ Authorization: `Bot ${emulator.botToken}` });

	const connect = async (intents: number, extra: Record<string, unknown> = {}) => {
		const socket = await RawGateway.open(emulator);
		sockets.push(socket);
		socket.send({ op: 2, d: { token: emulator.botToken, intents, properties: { os: 'linux', browser: 't', device: 't' }, ...extra } });
		await socket.next((p) => p.t === 'READY');
		return socket;
	};
	const guildCreate = async (socket: RawGateway, id: string) =>
		(await socket.next((p) => p.t === 'GUILD_CREATE' && (p.d as { id: string }).id === id, 10_000)).d as {
			large: boolean;
			member_count: number;
			members: Array<{ user: { id: string } }>;
		};
	/** Sends op 8, then a heartbeat: everything Discord answers to the request arrives before the ACK. */
	const request = async (socket: RawGateway, d: Record<string, unknown>): Promise<Chunk[]> => {
		const from = socket.received.length;
		socket.send({ op: 8, d });
		socket.send({ op: 1, d: null });
		const ack = await socket.next((p) => p.op === 11, 10_000, from);
		const upTo = socket.received.indexOf(ack);
		return socket.received
			.slice(from, upTo)
			.filter((p: GatewayPayload) => p.t === 'GUILD_MEMBERS_CHUNK')
			.map((p) => p.d as Chunk);
	};

	beforeAll(async () => {
		emulator = await startEmulator({ identifyBucketMs: 0 });
		const res = await call(emulator, 'POST', '/_emulator/guilds', { name: 'Huge', members: LARGE, member_prefix: 'fan' });
		expect(res.status).toBe(201);
		large = res.body as typeof large;
	});

	afterAll(async () => {
		for (const socket of sockets) socket.close();
		await emulator?.stop();
	});

	it(`GIVEN ${LARGE.toLocaleString('en')} seeded members THEN the guild has them all, seeded in well under a few seconds`, () => {
		expect(large.member_count).toBe(LARGE + 2); // plus the owner and the bot
		expect(large.seed_ms).toBeLessThan(5_000);
		const snapshot = emulator.snapshot().guilds.find((g) => g.id === large.id);
		expect(snapshot?.member_count).toBe(LARGE + 2);
		expect(snapshot?.members).toHaveLength(1000);
	});

	it('GIVEN GUILD_CREATE THEN a large guild lists only the bot, with large and member_count; presences only widen small guilds', async () => {
		emulator.setVoice({ guild_id: emulator.seed.guildId, channel_id: emulator.seed.channels.lounge, user_id: emulator.seed.users.alan });
		const plain = await connect(I.Guilds | I.GuildMembers);
		const huge = await guildCreate(plain, large.id);
		expect(huge).toMatchObject({ large: true, member_count: LARGE + 2 });
		expect(huge.members.map((m) => m.user.id)).toEqual([emulator.botUserId]);
		const seedGuild = await guildCreate(plain, emulator.seed.guildId);
		expect(seedGuild.large).toBe(false);
		expect(seedGuild.members.map((m) => m.user.id).sort()).toEqual([emulator.botUserId, emulator.seed.users.alan].sort());

		const presences = await connect(I.Guilds | I.GuildPresences, { large_threshold: 250 });
		expect((await guildCreate(presences, emulator.seed.guildId)).members).toHaveLength(6);
		expect((await guildCreate(presences, large.id)).members).toHaveLength(1);
		emulator.setVoice({ guild_id: emulator.seed.guildId, channel_id: null, user_id: emulator.seed.users.alan });
	});

	it('GIVEN op 8 for the entire list with GUILD_MEMBERS THEN every member arrives in chunks of at most 1,000 with the nonce', async () => {
		const socket = await connect(I.Guilds | I.GuildMembers);
		const chunks = await request(socket, { guild_id: large.id, query: '', limit: 0, nonce: 'all-of-them' });
		expect(chunks).toHaveLength(Math.ceil((LARGE + 2) / 1000));
		expect(chunks.map((c) => c.chunk_index)).toEqual(chunks.map((_, i) => i));
		expect(new Set(chunks.map((c) => c.chunk_count))).toEqual(new Set([chunks.length]));
		expect(Math.max(...chunks.map((c) => c.members.length))).toBe(1000);
		expect(chunks.every((c) => c.nonce === 'all-of-them' && c.guild_id === large.id)).toBe(true);
		expect(new Set(chunks.flatMap((c) => c.members.map((m) => m.user.id))).size).toBe(LARGE + 2);
	});

	it('GIVEN op 8 for the entire list without GUILD_MEMBERS THEN Discord ignores it; user_ids need no intent', async () => {
		const socket = await connect(I.Guilds);
		expect(await request(socket, { guild_id: large.id, query: '', limit: 0, nonce: 'x' })).toEqual([]);
		expect(await request(socket, { guild_id: large.id, query: '', limit: 10 })).toEqual([]);
		const [chunk] = await request(socket, { guild_id: large.id, user_ids: [emulator.botUserId] });
		expect(chunk?.members.map((m) => m.user.id)).toEqual([emulator.botUserId]);
	});

	it('GIVEN op 8 by user_ids THEN the members found, not_found for the rest, and more than 100 ids or a long nonce are refused', async () => {
		const socket = await connect(I.Guilds | I.GuildMembers);
		const ids = emulator
			.snapshot()
			.guilds.find((g) => g.id === large.id)!
			.members.slice(500, 599)
			.map((m) => m.user_id);
		const chunks = await request(socket, { guild_id: large.id, user_ids: [...ids, '123456789012345678'], nonce: 'by-id' });
		expect(chunks).toHaveLength(1);
		expect(chunks[0]!.members.map((m) => m.user.id).sort()).toEqual([...ids].sort());
		expect(chunks[0]!.not_found).toEqual(['123456789012345678']);
		expect(await request(socket, { guild_id: large.id, user_ids: [...ids, '1', '2'] })).toEqual([]);
		const [long] = await request(socket, { guild_id: large.id, user_ids: ids.slice(0, 1), nonce: 'n'.repeat(33) });
		expect(long).toBeDefined();
		expect(long!.nonce).toBeUndefined();
	});

	it('GIVEN op 8 with a query THEN members whose name starts with it, at most 100 and at most limit', async () => {
		const socket = await connect(I.Guilds | I.GuildMembers);
		const [some] = await request(socket, { guild_id: large.id, query: 'FAN999', limit: 5 });
		expect(some!.members).toHaveLength(5);
		expect(some!.members.every((m) => m.user.username.startsWith('fan999'))).toBe(true);
		const [capped] = await request(socket, { guild_id: large.id, query: 'fan', limit: 0 });
		expect(capped!.members).toHaveLength(100);
	});

	it('GIVEN GET /guilds/:id/members THEN pages of at most 1,000 by user id after `after`, and limit 1001 is a 50035', async () => {
		const first = await call(emulator, 'GET', `/api/v10/guilds/${large.id}/members?limit=1000`, undefined, bot());
		const page = first.body as Array<{ user: { id: string } }>;
		expect(page).toHaveLength(1000);
		const ids = page.map((m) => BigInt(m.user.id));
		expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
		const next = await call(
			emulator,
			'GET',
			`/api/v10/guilds/${large.id}/members?limit=1000&after=${page.at(-1)!.user.id}`,
			undefined,
			bot()
		);
		expect(BigInt((next.body as Array<{ user: { id: string } }>)[0]!.user.id)).toBeGreaterThan(ids.at(-1)!);
		const tooMany = await call(emulator, 'GET', `/api/v10/guilds/${large.id}/members?limit=1001`, undefined, bot());
		expect(tooMany.status).toBe(400);
		expect(tooMany.body).toMatchObject({ code: 50035, errors: { limit: { _errors: [{ code: 'NUMBER_TYPE_MAX' }] } } });
		expect((await call(emulator, 'GET', `/api/v10/guilds/${large.id}/members`, undefined, bot())).body).toHaveLength(1);
	});

	it('GIVEN GET /guilds/:id/members/search THEN prefix matches up to limit (≤ 1,000), and a missing query is a 50035', async () => {
		const res = await call(emulator, 'GET', `/api/v10/guilds/${large.id}/members/search?query=fan12&limit=1000`, undefined, bot());
		const found = res.body as Array<{ user: { username: string } }>;
		expect(found).toHaveLength(1000);
		expect(found.every((m) => m.user.username.startsWith('fan12'))).toBe(true);
		const missing = await call(emulator, 'GET', `/api/v10/guilds/${large.id}/members/search?limit=10`, undefined, bot());
		expect(missing.body).toMatchObject({ code: 50035, errors: { query: { _errors: [{ code: 'BASE_TYPE_REQUIRED' }] } } });
		expect((await call(emulator, 'GET', `/api/v10/guilds/${large.id}/members/search?query=fan&limit=1001`, undefined, bot())).status).toBe(
			400
		);
	});

	it('GIVEN the app without the GUILD_MEMBERS switch THEN listing members is 403 50001 and IDENTIFY with it is 4014', async () => {
		const strict = await startEmulator({ allowedPrivilegedIntents: I.MessageContent, identifyBucketMs: 0 });
		try {
			const res = await call(strict, 'GET', `/api/v10/guilds/${strict.seed.guildId}/members?limit=10`, undefined, {
				Authorization: `Bot ${strict.botToken}`
			});
			expect(res.status).toBe(403);
			expect(res.body).toMatchObject({ code: 50001 });
			const socket = await RawGateway.open(strict);
			sockets.push(socket);
			socket.send({ op: 2, d: { token: strict.botToken, intents: I.Guilds | I.GuildMembers, properties: {} } });
			expect(await socket.closed()).toBe(4014);
		} finally {
			await strict.stop();
		}
	});

	it('GIVEN a join THEN only sessions with GUILD_MEMBERS get GUILD_MEMBER_ADD, and traffic counts what clients sent', async () => {
		const withIntent = await connect(I.Guilds | I.GuildMembers);
		const without = await connect(I.Guilds);
		await call(emulator, 'DELETE', '/_emulator/traffic');
		const from = [withIntent.received.length, without.received.length];
		await call(emulator, 'POST', '/_emulator/members', { guild_id: emulator.seed.guildId, username: 'joiner' });
		await withIntent.next((p) => p.t === 'GUILD_MEMBER_ADD', 5_000, from[0]);
		without.send({ op: 1, d: null });
		const ack = await without.next((p) => p.op === 11, 5_000, from[1]);
		expect(without.received.slice(from[1], without.received.indexOf(ack)).some((p) => p.t === 'GUILD_MEMBER_ADD')).toBe(false);
		await call(emulator, 'GET', '/api/v10/users/@me', undefined, bot());
		const { traffic } = emulator.snapshot();
		expect(traffic.rest_requests).toBe(1);
		expect(traffic.gateway_sends_by_op['1']).toBeGreaterThanOrEqual(1);
		expect(traffic.gateway_peak_per_minute).toBeGreaterThanOrEqual(1);
	});
});
