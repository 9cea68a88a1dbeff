import type { Client } from 'discord.js';
import { Events, GatewayIntentBits } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, connectClient, RawGateway, startEmulator, waitFor } from './helpers.ts';

const GUILD_INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent;

describe('gateway RESUME with discord.js', () => {
	let emulator: Emulator;
	let client: Client<true>;
	const received: string[] = [];

	beforeAll(async () => {
		emulator = await startEmulator();
		client = await connectClient(emulator);
		client.on(Events.MessageCreate, (message) => {
			received.push(message.id);
		});
	});

	afterAll(async () => {
		await client?.destroy();
		await emulator?.stop();
	});

	it('GIVEN a dropped connection and 20 messages while down THEN the client resumes and gets each missed message exactly once', async () => {
		const { seed } = emulator;
		const resumed = new Promise<void>((resolve) => client.once(Events.ShardResume, () => resolve()));
		const fault = await call(emulator, 'POST', '/_emulator/faults', { kind: 'gateway_disconnect' });
		expect(fault.status).toBe(200);
		expect((fault.body as { affected: number }).affected).toBe(1);
		const sent: string[] = [];
		for (let i = 0; i < 20; i++) {
			const res = await call(emulator, 'POST', '/_emulator/messages', {
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.ada,
				content: `missed ${i}`
			});
			expect(res.status).toBe(201);
			sent.push((res.body as { id: string }).id);
		}
		await resumed;
		await waitFor(() => sent.every((id) => received.includes(id)), 10_000, 'every missed message');
		// One more after the resume, to prove the live stream continues without duplicates.
		const after = emulator.sendMessage({
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.ada,
			content: 'after'
		});
		await waitFor(() => received.includes(after.id as string), 5_000, 'post-resume message');
		for (const id of [...sent, after.id as string]) expect(received.filter((r) => r === id)).toHaveLength(1);
		expect(received.slice(0, 20)).toEqual(sent);
		expect(emulator.stats.identifies).toBe(1);
		expect(emulator.stats.resumes).toBe(1);
	});

	it('GIVEN INVALID_SESSION THEN the client identifies again and keeps receiving events', async () => {
		const identifiesBefore = emulator.stats.identifies;
		const res = await call(emulator, 'POST', '/_emulator/faults', { kind: 'gateway_invalid_session' });
		expect((res.body as { affected: number }).affected).toBe(1);
		// discord.js waits out its 5 s identify throttle before the second IDENTIFY.
		await waitFor(
			() => emulator.stats.identifies === identifiesBefore + 1 && emulator.snapshot().gateway.connected_shards.length === 1,
			15_000,
			're-identify'
		);
		const message = emulator.sendMessage({
			guild_id: emulator.seed.guildId,
			channel_id: emulator.seed.channels.general,
			user_id: emulator.seed.users.grace,
			content: 'after invalid session'
		});
		await waitFor(() => received.includes(message.id as string), 5_000, 'message after re-identify');
		expect(emulator.stats.resumes).toBe(1);
		expect(emulator.snapshot().gateway.sessions).toHaveLength(1);
	});
});

describe('gateway protocol with a bare socket', () => {
	let emulator: Emulator;
	const sockets: RawGateway[] = [];
	const open = async (query?: string, heartbeat = true) => {
		const socket = await RawGateway.open(emulator, query, heartbeat);
		sockets.push(socket);
		return socket;
	};

	beforeAll(async () => {
		emulator = await startEmulator({
			heartbeatIntervalMs: 200,
			allowedPrivilegedIntents: GatewayIntentBits.MessageContent | GatewayIntentBits.GuildMembers,
			// These tests identify many times in a row; the 5-second IDENTIFY spacing has its own test (gateway-identify).
			identifyBucketMs: 0
		});
	});
	afterEach(() => {
		for (const socket of sockets.splice(0)) socket.close();
	});
	afterAll(async () => {
		await emulator?.stop();
	});

	it('GIVEN a connection THEN HELLO carries the heartbeat interval and heartbeats are acknowledged', async () => {
		const socket = await open(undefined, false);
		const hello = await socket.next((p) => p.op === 10);
		expect(hello.d).toEqual({ heartbeat_interval: 200 });
		socket.send({ op: 1, d: null });
		await socket.next((p) => p.op === 11);
	});

	it('GIVEN IDENTIFY THEN READY lists the shard guilds as unavailable and GUILD_CREATE follows', async () => {
		const socket = await open();
		socket.send({ op: 1, d: null });
		const ready = await socket.identify(emulator.botToken, GUILD_INTENTS);
		const readyPayload = socket.received.find((p) => p.t === 'READY');
		expect(readyPayload?.s).toBe(1);
		expect(ready.resume_gateway_url).toBe(emulator.gatewayUrl);
		expect((readyPayload?.d as { guilds: unknown[] }).guilds).toEqual([{ id: emulator.seed.guildId, unavailable: true }]);
		expect((readyPayload?.d as { application: { id: string } }).application.id).toBe(emulator.applicationId);
		const guild = await socket.next((p) => p.t === 'GUILD_CREATE');
		expect(guild.s).toBe(2);
		// Without GUILD_PRESENCES only the bot is listed (no one is in voice), as Discord sends it.
		const d = guild.d as { members: Array<{ user: { id: string } }>; member_count: number; large: boolean };
		expect(d.members.map((m) => m.user.id)).toEqual([emulator.botUserId]);
		expect(d).toMatchObject({ member_count: 6, large: false });
	});

	it('GIVEN a client that stops heartbeating THEN the server closes with 4009 and the session can still be resumed with what it missed', async () => {
		const socket = await open(undefined, false);
		const ready = await socket.identify(emulator.botToken, GUILD_INTENTS);
		await socket.next((p) => p.t === 'GUILD_CREATE');
		const seq = socket.seq;
		const started = Date.now();
		expect(await socket.closed(2_000)).toBe(4009);
		expect(Date.now() - started).toBeGreaterThanOrEqual(250); // 1.5 × 200 ms, give or take the identify round trip
		const missed = emulator.sendMessage({
			guild_id: emulator.seed.guildId,
			channel_id: emulator.seed.channels.general,
			user_id: emulator.seed.users.ada,
			content: 'while away'
		});
		const resumesBefore = emulator.stats.resumes;
		const again = await open();
		again.send({ op: 6, d: { token: emulator.botToken, session_id: ready.session_id, seq } });
		const replayed = await again.next((p) => p.t === 'MESSAGE_CREATE');
		expect((replayed.d as { id: string; content: string }).id).toBe(missed.id);
		expect((replayed.d as { content: string }).content).toBe('while away');
		expect(replayed.s).toBe(seq + 1);
		const resumed = await again.next((p) => p.t === 'RESUMED');
		expect(resumed.s).toBe(seq + 2);
		expect(emulator.stats.resumes).toBe(resumesBefore + 1);
	});

	it('GIVEN a session left disconnected past its TTL THEN RESUME gets INVALID_SESSION', async () => {
		const shortLived = await startEmulator({ sessionTtlMs: 100 });
		try {
			const first = await RawGateway.open(shortLived);
			const ready = await first.identify(shortLived.botToken, GatewayIntentBits.Guilds);
			first.close();
			await first.closed();
			await new Promise((resolve) => setTimeout(resolve, 250));
			expect(shortLived.snapshot().gateway.sessions).toEqual([]);
			const second = await RawGateway.open(shortLived);
			second.send({ op: 6, d: { token: shortLived.botToken, session_id: ready.session_id, seq: 1 } });
			expect((await second.next((p) => p.op === 9)).d).toBe(false);
			second.close();
		} finally {
			await shortLived.stop();
		}
	});

	it('GIVEN a client closing with 1000 or 1001 THEN its session ends at once, as on Discord; with 4200 it stays resumable', async () => {
		for (const [code, resumable] of [
			// (A WebSocket client may not send 1001 itself; the emulator treats it as Discord does, like 1000.)
			[1000, false],
			[4200, true]
		] as const) {
			const first = await open();
			const ready = await first.identify(emulator.botToken, GatewayIntentBits.Guilds);
			first.ws.close(code, 'bye');
			await first.closed();
			const second = await open();
			second.send({ op: 6, d: { token: emulator.botToken, session_id: ready.session_id, seq: 1 } });
			const answer = await second.next((p) => p.op === 9 || p.t === 'RESUMED');
			expect(answer.t === 'RESUMED', `close ${code}`).toBe(resumable);
			second.close();
		}
	});

	it('GIVEN RESUME with an unknown session THEN INVALID_SESSION false', async () => {
		const socket = await open();
		socket.send({ op: 6, d: { token: emulator.botToken, session_id: 'nope', seq: 3 } });
		const invalid = await socket.next((p) => p.op === 9);
		expect(invalid.d).toBe(false);
	});

	it('GIVEN a session without MESSAGE_CONTENT THEN message content is stripped unless it mentions the bot', async () => {
		const socket = await open();
		await socket.identify(emulator.botToken, GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages);
		const { seed } = emulator;
		const from = socket.received.length;
		emulator.sendMessage({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.ada, content: 'secret' });
		emulator.sendMessage({
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.ada,
			content: `hi <@${emulator.botUserId}>`
		});
		const first = await socket.next((p) => p.t === 'MESSAGE_CREATE', 5_000, from);
		expect((first.d as { content: string }).content).toBe('');
		const second = await socket.next((p) => p.t === 'MESSAGE_CREATE' && p !== first, 5_000, from);
		expect((second.d as { content: string }).content).toBe(`hi <@${emulator.botUserId}>`);
	});

	it('GIVEN a session without GUILD_MESSAGES THEN it gets no MESSAGE_CREATE but still gets INTERACTION-free guild events it asked for', async () => {
		const socket = await open();
		await socket.identify(emulator.botToken, GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers);
		const { seed } = emulator;
		const from = socket.received.length;
		emulator.sendMessage({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.ada, content: 'invisible' });
		emulator.joinMember({ guild_id: seed.guildId, username: `joiner${Date.now() % 100000}` });
		await socket.next((p) => p.t === 'GUILD_MEMBER_ADD', 5_000, from);
		expect(socket.received.slice(from).some((p) => p.t === 'MESSAGE_CREATE')).toBe(false);
	});

	it.each([
		['a wrong token', { op: 2, d: { token: 'wrong', intents: 1 } }, 4004],
		['an invalid shard', { op: 2, d: { token: 'TOKEN', intents: 1, shard: [2, 2] } }, 4010],
		['missing intents', { op: 2, d: { token: 'TOKEN' } }, 4013],
		['unknown intent bits', { op: 2, d: { token: 'TOKEN', intents: 1 << 30 } }, 4013],
		['a disallowed privileged intent', { op: 2, d: { token: 'TOKEN', intents: GatewayIntentBits.GuildPresences } }, 4014],
		['an unknown opcode', { op: 42, d: null }, 4001],
		['a payload before IDENTIFY', { op: 3, d: { status: 'online' } }, 4003],
		['undecodable JSON', '{nope', 4002]
	])('GIVEN %s THEN the gateway closes with %s', async (_what, payload, code) => {
		const socket = await open();
		await socket.next((p) => p.op === 10);
		socket.send(
			typeof payload === 'string' ? payload : JSON.parse(JSON.stringify(payload).replace('"TOKEN"', JSON.stringify(emulator.botToken)))
		);
		expect(await socket.closed()).toBe(code);
	});

	it('GIVEN a second IDENTIFY on one socket THEN 4005 already authenticated', async () => {
		const socket = await open();
		await socket.identify(emulator.botToken, GatewayIntentBits.Guilds);
		socket.send({ op: 2, d: { token: emulator.botToken, intents: 1 } });
		expect(await socket.closed()).toBe(4005);
	});

	it('GIVEN RESUME with a sequence from the future THEN 4007 invalid seq', async () => {
		const first = await open();
		const ready = await first.identify(emulator.botToken, GatewayIntentBits.Guilds);
		first.close();
		await first.closed();
		const second = await open();
		second.send({ op: 6, d: { token: emulator.botToken, session_id: ready.session_id, seq: 10_000 } });
		expect(await second.closed()).toBe(4007);
	});

	it('GIVEN an unsupported API version THEN 4012', async () => {
		const socket = new RawGateway(`${emulator.gatewayUrl}?v=6&encoding=json`);
		sockets.push(socket);
		expect(await socket.closed()).toBe(4012);
	});
});
