import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, RawGateway, startEmulator } from './helpers.ts';

const CONTROL_POSTS = {
	messages: ['guild_id', 'channel_id', 'user_id', 'content'],
	reactions: ['guild_id', 'channel_id', 'message_id', 'user_id', 'emoji'],
	members: ['guild_id', 'user_id', 'username'],
	voice: ['guild_id', 'user_id', 'channel_id', 'self_mute', 'self_deaf'],
	interactions: ['guild_id', 'channel_id', 'user_id', 'command', 'options', 'autocomplete'],
	components: ['message_id', 'user_id', 'custom_id', 'values'],
	faults: ['kind', 'count', 'route', 'retry_after', 'close_code'],
	guilds: ['name', 'id', 'owner_id'],
	roles: ['guild_id', 'name', 'permissions', 'position', 'color'],
	reset: []
} as const;

/** Everything that must not move when a control call is refused. */
function fingerprint(emulator: Emulator): string {
	const { gateway: _gateway, ...rest } = emulator.snapshot();
	const history = rest.guilds.flatMap((g) => g.channels.map((c) => emulator.channelMessages(c.id).length));
	return JSON.stringify({ ...rest, history, commands: emulator.guildCommands(emulator.seed.guildId) });
}

describe('control API input handling', () => {
	let emulator: Emulator;

	beforeAll(async () => {
		emulator = await startEmulator({ replyTimeoutMs: 500 });
		const res = await call(
			emulator,
			'PUT',
			`/api/v10/applications/${emulator.applicationId}/guilds/${emulator.seed.guildId}/commands`,
			[
				{
					name: 'mileage',
					description: 'Mileage',
					options: [
						{
							type: 1,
							name: 'adjust',
							description: 'Adjust',
							options: [
								{ type: 6, name: 'member', description: 'Who', required: true },
								{ type: 4, name: 'points', description: 'How many', required: true }
							]
						}
					]
				},
				{
					name: 'echo',
					description: 'Echo',
					options: [{ type: 3, name: 'text', description: 'Text', choices: [{ name: 'Hi', value: 'hi' }] }]
				}
			],
			{ Authorization: `Bot ${emulator.botToken}` }
		);
		expect(res.status).toBe(200);
	});

	afterAll(async () => {
		await emulator?.stop();
	});

	for (const [route, keys] of Object.entries(CONTROL_POSTS)) {
		it(`GIVEN junk bodies on POST /_emulator/${route} THEN 400 with an error message, never 500, and nothing changes`, async () => {
			const before = fingerprint(emulator);
			const plausible = fc.dictionary(fc.constantFrom(...(keys as readonly string[]), 'extra'), fc.jsonValue(), { maxKeys: 6 });
			const junk = fc.oneof(
				fc.jsonValue().map((v) => JSON.stringify(v)),
				plausible.map((v) => JSON.stringify(v)),
				fc.string(),
				fc.constant('{"guild_id": '),
				fc.constant('')
			);
			await fc.assert(
				fc.asyncProperty(junk, async (body) => {
					// The only junk that is legitimately accepted: reset with nothing, a guild with only a plausible name.
					if (route === 'reset') fc.pre(body.trim() !== '' && body.trim() !== '{}');
					if (route === 'guilds') fc.pre(!/^\{"name":"[^"]{2,}"\}$/.test(body));
					const res = await call(emulator, 'POST', `/_emulator/${route}`, body);
					expect(res.status).toBe(400);
					expect(typeof (res.body as { error?: unknown }).error).toBe('string');
					expect((res.body as { error: string }).error.length).toBeGreaterThan(0);
				}),
				{ numRuns: 100 }
			);
			expect(fingerprint(emulator)).toBe(before);
		});
	}

	it('GIVEN junk ids and bodies on PATCH /_emulator/roles/:id THEN 400 with an error message, never 500, and nothing changes', async () => {
		const before = fingerprint(emulator);
		const { roles } = emulator.seed;
		const id = fc.oneof(fc.constantFrom(roles.everyone, roles.member, roles.admin, roles.bot), fc.string({ minLength: 1, maxLength: 30 }));
		const keys = ['guild_id', 'name', 'permissions', 'position', 'color', 'extra'];
		const plausible = fc.dictionary(fc.constantFrom(...keys), fc.jsonValue(), { maxKeys: 6 });
		const junk = fc.oneof(
			fc.jsonValue().map((v) => JSON.stringify(v)),
			plausible.map((v) => JSON.stringify(v)),
			fc.string(),
			fc.constant('{"guild_id": '),
			fc.constant('')
		);
		await fc.assert(
			fc.asyncProperty(id, junk, async (roleId, body) => {
				fc.pre(roleId !== '.' && roleId !== '..');
				const res = await call(emulator, 'PATCH', `/_emulator/roles/${encodeURIComponent(roleId)}`, body);
				expect(res.status).toBe(400);
				expect((res.body as { error: string }).error.length).toBeGreaterThan(0);
			}),
			{ numRuns: 100 }
		);
		const malformed = await call(emulator, 'PATCH', '/_emulator/roles/%zz', { guild_id: emulator.seed.guildId, name: 'x' });
		expect(malformed.status).toBe(400);
		expect(fingerprint(emulator)).toBe(before);
	});

	it('GIVEN role bodies for the real guild with one bad field among good ones THEN 400 names it and no role is created, moved or edited', async () => {
		const before = fingerprint(emulator);
		const { seed } = emulator;
		const bad: Record<string, unknown[]> = {
			name: ['', 'x'.repeat(101), 3, null, ['a']],
			permissions: ['abc', 8, '-1', '1'.repeat(21), String(1n << 62n), '', null],
			position: [0, -1, 1.5, 99, '2', null, true],
			color: [-1, 0x1000000, 2.5, '#fff', null]
		};
		const good: Record<string, unknown> = { name: 'Fine', permissions: '1024', position: 1, color: 5 };
		const body = fc
			.tuple(fc.constantFrom(...Object.keys(bad)), fc.subarray(Object.keys(good)))
			.chain(([key, others]) =>
				fc
					.constantFrom(...(bad[key] ?? []))
					.map((value) => ({ key, body: { guild_id: seed.guildId, ...Object.fromEntries(others.map((k) => [k, good[k]])), [key]: value } }))
			);
		const roleId = fc.constantFrom(seed.roles.everyone, seed.roles.member, seed.roles.admin, seed.roles.bot);
		await fc.assert(
			fc.asyncProperty(body, roleId, async ({ key, body }, id) => {
				for (const [method, path] of [
					['POST', '/_emulator/roles'],
					['PATCH', `/_emulator/roles/${id}`]
				] as const) {
					// A new role needs a name: without one, that would be the first complaint.
					const res = await call(emulator, method, path, method === 'POST' && key !== 'name' ? { name: 'Fine', ...body } : body);
					expect(res.status, res.text).toBe(400);
					expect((res.body as { error: string }).error).toContain(key);
				}
			}),
			{ numRuns: 100 }
		);
		// Valid bodies the world refuses: an unknown role, moving or renaming @everyone.
		for (const [path, patch, message] of [
			['/_emulator/roles/1', { name: 'x' }, /unknown role 1/],
			[`/_emulator/roles/${seed.roles.everyone}`, { position: 1 }, /@everyone cannot be moved/],
			[`/_emulator/roles/${seed.roles.everyone}`, { name: 'everybody', permissions: '0' }, /@everyone cannot be moved or renamed/],
			[`/_emulator/roles/${seed.roles.member}`, {}, /at least one of/]
		] as const) {
			const res = await call(emulator, 'PATCH', path, { guild_id: seed.guildId, ...patch });
			expect(res.status).toBe(400);
			expect((res.body as { error: string }).error).toMatch(message);
		}
		const unknownGuild = await call(emulator, 'POST', '/_emulator/roles', { guild_id: '1', name: 'Nowhere' });
		expect((unknownGuild.body as { error: string }).error).toMatch(/unknown guild 1/);
		expect(fingerprint(emulator)).toBe(before);
	});

	it('GIVEN junk ids on the GET control routes THEN 400, never 500', async () => {
		await fc.assert(
			fc.asyncProperty(fc.string({ minLength: 1, maxLength: 30 }), async (id) => {
				// "." and ".." are dot segments: URL parsing removes them before a request is sent, so no client can send them as an id.
				fc.pre(id !== '.' && id !== '..');
				for (const path of [
					`/_emulator/channels/${encodeURIComponent(id)}/messages`,
					`/_emulator/guilds/${encodeURIComponent(id)}/commands`
				]) {
					const res = await call(emulator, 'GET', path);
					expect(res.status).toBe(400);
					expect((res.body as { error: string }).error).toMatch(/unknown/);
				}
			}),
			{ numRuns: 100 }
		);
	});

	it('GIVEN an unknown REST route THEN 404 in Discord’s shape', async () => {
		for (const path of ['/api/v10/nope', '/api/v10/channels/1/nope/2', '/api/teapot', '/nowhere']) {
			const res = await call(emulator, 'GET', path, undefined, { Authorization: `Bot ${emulator.botToken}` });
			expect(res.status).toBe(404);
			expect(res.body).toEqual({ message: '404: Not Found', code: 0 });
		}
		const control = await call(emulator, 'GET', '/_emulator/nope');
		expect(control.status).toBe(404);
		expect((control.body as { error: string }).error).toContain('/_emulator/nope');
	});

	it.each([
		[{ command: 'nope' }, /unknown command "nope"/],
		[{ command: 'mileage' }, /needs a subcommand: adjust/],
		[{ command: 'mileage shrink' }, /"shrink" is not a subcommand of "mileage"/],
		[{ command: 'mileage adjust', options: { points: 3 } }, /missing required option "member"/],
		[{ command: 'mileage adjust', options: { member: 'SEED_USER', points: 'many' } }, /option "points" expects an integer/],
		[{ command: 'mileage adjust', options: { member: '123', points: 1 } }, /option "member" expects a user id/],
		[{ command: 'mileage adjust', options: { member: 'SEED_USER', points: 1, bonus: true } }, /unknown option "bonus"/],
		[{ command: 'echo', options: { text: 'bye' } }, /must be one of: "hi"/],
		[{ command: 'echo', autocomplete: 'text' }, /does not have autocomplete/]
	])('GIVEN interaction input %j THEN 400 says what is wrong', async (input, message) => {
		const { seed } = emulator;
		const body = JSON.parse(
			JSON.stringify({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: seed.users.ada, ...input }).replace(
				'SEED_USER',
				seed.users.alan
			)
		);
		const res = await call(emulator, 'POST', '/_emulator/interactions', body);
		expect(res.status).toBe(400);
		expect((res.body as { error: string }).error).toMatch(message);
	});

	it('GIVEN a valid interaction but no bot connected THEN 503 says to start the bot', async () => {
		const { seed } = emulator;
		const res = await call(emulator, 'POST', '/_emulator/interactions', {
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.ada,
			command: 'mileage adjust',
			options: { member: seed.users.alan, points: 2 }
		});
		expect(res.status).toBe(503);
		expect((res.body as { error: string }).error).toMatch(/no bot session/);
	});

	it('GIVEN a member joining twice or a taken username THEN 400', async () => {
		const { seed } = emulator;
		const twice = await call(emulator, 'POST', '/_emulator/members', { guild_id: seed.guildId, user_id: seed.users.ada });
		expect(twice.status).toBe(400);
		expect((twice.body as { error: string }).error).toMatch(/already a member/);
		const taken = await call(emulator, 'POST', '/_emulator/members', { guild_id: seed.guildId, username: 'grace' });
		expect(taken.status).toBe(400);
	});
});

describe('control API roles', () => {
	let emulator: Emulator;
	let socket: RawGateway;

	beforeAll(async () => {
		emulator = await startEmulator();
		socket = await RawGateway.open(emulator);
		await socket.identify(emulator.botToken, 1);
	});

	afterAll(async () => {
		socket?.close();
		await emulator?.stop();
	});

	const positions = () => Object.fromEntries(emulator.snapshot().guilds[0]?.roles.map((r) => [r.name, r.position]) ?? []);
	/** Role events from `from` on, as `EVENT name:position`. */
	const roleEvents = (from: number) =>
		socket.received
			.slice(from)
			.filter((p) => p.t === 'GUILD_ROLE_CREATE' || p.t === 'GUILD_ROLE_UPDATE')
			.map((p) => {
				const { role } = p.d as { role: { name: string; position: number } };
				return `${p.t} ${role.name}:${role.position}`;
			})
			.sort();

	it('GIVEN a role created at a position THEN the roles from there up move up one and each change is dispatched', async () => {
		const { seed } = emulator;
		const from = socket.received.length;
		const res = await call(emulator, 'POST', '/_emulator/roles', {
			guild_id: seed.guildId,
			name: 'Patron',
			permissions: '1024',
			position: 2,
			color: 7
		});
		expect(res.status, res.text).toBe(201);
		expect(res.body).toMatchObject({ name: 'Patron', position: 2, permissions: '1024', color: 7, managed: false, guild_id: seed.guildId });
		expect(positions()).toEqual({ '@everyone': 0, Member: 1, Patron: 2, Admin: 3, Facet: 4 });
		await socket.next((p) => p.t === 'GUILD_ROLE_UPDATE' && (p.d as { role: { name: string } }).role.name === 'Facet', 5_000, from);
		expect(roleEvents(from)).toEqual(['GUILD_ROLE_CREATE Patron:2', 'GUILD_ROLE_UPDATE Admin:3', 'GUILD_ROLE_UPDATE Facet:4']);

		// No position: just above @everyone, the default of Discord too.
		const plain = emulator.createRole({ guild_id: seed.guildId, name: 'Plain' });
		expect(plain).toMatchObject({ position: 1, permissions: '0' });
		expect(positions()).toEqual({ '@everyone': 0, Plain: 1, Member: 2, Patron: 3, Admin: 4, Facet: 5 });
		// The top is one above the highest role; beyond is refused.
		const top = await call(emulator, 'POST', '/_emulator/roles', { guild_id: seed.guildId, name: 'Too high', position: 7 });
		expect(top.status).toBe(400);
		expect((top.body as { error: string }).error).toMatch(/position must be from 1 to 6/);
	});

	it('GIVEN a role moved or edited THEN the roles in between shift by one and only changed roles are dispatched', async () => {
		const { seed } = emulator;
		const patron = emulator.snapshot().guilds[0]?.roles.find((r) => r.name === 'Patron')?.id ?? '';
		let from = socket.received.length;
		// Up above the bot: Admin and Facet each move down one.
		const up = await call(emulator, 'PATCH', `/_emulator/roles/${patron}`, { guild_id: seed.guildId, position: 5 });
		expect(up.status, up.text).toBe(200);
		expect(positions()).toEqual({ '@everyone': 0, Plain: 1, Member: 2, Admin: 3, Facet: 4, Patron: 5 });
		await socket.next((p) => p.t === 'GUILD_ROLE_UPDATE' && (p.d as { role: { name: string } }).role.name === 'Patron', 5_000, from);
		expect(roleEvents(from)).toEqual(['GUILD_ROLE_UPDATE Admin:3', 'GUILD_ROLE_UPDATE Facet:4', 'GUILD_ROLE_UPDATE Patron:5']);

		// Down to the bottom with new permissions and name: one event for it, one per role it passed.
		from = socket.received.length;
		emulator.updateRole(patron, { guild_id: seed.guildId, position: 1, permissions: '0', name: 'Supporter' });
		expect(positions()).toEqual({ '@everyone': 0, Supporter: 1, Plain: 2, Member: 3, Admin: 4, Facet: 5 });
		await socket.next((p) => p.t === 'GUILD_ROLE_UPDATE' && (p.d as { role: { name: string } }).role.name === 'Facet', 5_000, from);
		await socket.next((p) => p.t === 'GUILD_ROLE_UPDATE' && (p.d as { role: { name: string } }).role.name === 'Supporter', 5_000, from);
		expect(roleEvents(from)).toEqual([
			'GUILD_ROLE_UPDATE Admin:4',
			'GUILD_ROLE_UPDATE Facet:5',
			'GUILD_ROLE_UPDATE Member:3',
			'GUILD_ROLE_UPDATE Plain:2',
			'GUILD_ROLE_UPDATE Supporter:1'
		]);

		// Only permissions: one event, nothing moves; the same values again: no event at all.
		from = socket.received.length;
		emulator.updateRole(seed.roles.bot, { guild_id: seed.guildId, permissions: '0' });
		emulator.updateRole(seed.roles.bot, { guild_id: seed.guildId, permissions: '0', position: 5 });
		await socket.next((p) => p.t === 'GUILD_ROLE_UPDATE', 5_000, from);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(roleEvents(from)).toEqual(['GUILD_ROLE_UPDATE Facet:5']);
		expect(emulator.snapshot().guilds[0]?.roles.find((r) => r.id === seed.roles.bot)?.permissions).toBe('0');
		// @everyone's permissions may change.
		expect(emulator.updateRole(seed.roles.everyone, { guild_id: seed.guildId, permissions: '1024' })).toMatchObject({
			position: 0,
			permissions: '1024'
		});
	});
});
