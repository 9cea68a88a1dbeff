import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { call, startEmulator } from './helpers.ts';

const CONTROL_POSTS = {
	messages: ['guild_id', 'channel_id', 'user_id', 'content'],
	reactions: ['guild_id', 'channel_id', 'message_id', 'user_id', 'emoji'],
	members: ['guild_id', 'user_id', 'username'],
	voice: ['guild_id', 'user_id', 'channel_id', 'self_mute', 'self_deaf'],
	interactions: ['guild_id', 'channel_id', 'user_id', 'command', 'options', 'autocomplete'],
	components: ['message_id', 'user_id', 'custom_id', 'values'],
	faults: ['kind', 'count', 'route', 'retry_after', 'close_code'],
	guilds: ['name', 'id', 'owner_id'],
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
