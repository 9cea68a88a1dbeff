import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/sandbox/index.ts';
import { routes } from '../../src/sandbox/index.ts';
import { hasRequestSchema } from '../../src/sandbox/validate/schema.ts';
import { botRest, call, formErrorsAt, pendingInteraction, RawGateway, startEmulator } from './helpers.ts';

/*
 * Command and role bodies as Discord checks them: the request schemas, ≤ 100 chat-input commands per scope,
 * ≤ 8,000 characters per command, 200 command creates per guild per day, and option ranges at invocation.
 */

describe('which routes are validated', () => {
	it('GIVEN the route table THEN every write route of the spec has a request schema checked, except those Discord gives no body', () => {
		const writes = routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE' && r.operationId);
		const unchecked = writes.filter((r) => !hasRequestSchema(r.operationId ?? '')).map((r) => r.operationId);
		// Adding a member role is a PUT without a body on Discord.
		expect(unchecked).toEqual(['add_guild_member_role']);
		expect(writes.length - unchecked.length).toBeGreaterThanOrEqual(14);
	});
});

describe('strict command and role bodies', () => {
	let emulator: Emulator;
	let rest: ReturnType<typeof botRest>;
	let guildCommands: string;
	let globalCommands: string;

	beforeEach(async () => {
		emulator = await startEmulator({ rateLimitPerSecond: 10_000, routeLimits: {}, globalRateLimitPerSecond: 10_000 });
		rest = botRest(emulator);
		guildCommands = `/applications/${emulator.applicationId}/guilds/${emulator.seed.guildId}/commands`;
		globalCommands = `/applications/${emulator.applicationId}/commands`;
	});
	afterEach(async () => {
		await emulator.stop();
	});

	const expect50035 = (res: { status: number; body: unknown; text: string }, path: Array<string | number>, code: string) => {
		expect(res.status, res.text).toBe(400);
		expect((res.body as { code: number }).code).toBe(50035);
		expect(
			formErrorsAt(res.body, path)?.map((e) => e.code),
			res.text
		).toContain(code);
	};
	const cmd = (name: string, extra: Record<string, unknown> = {}) => ({ name, description: `The ${name} command`, ...extra });
	const many = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => cmd(`${prefix}${i}`));

	it('GIVEN command bodies off the schema THEN 50035 names the field, for create, overwrite and patch; good ones pass', async () => {
		expect50035(
			await rest('POST', guildCommands, cmd('bad', { options: [{ type: 3, name: 'q', description: 'Q', max_length: 99_999 }] })),
			['options', 0, 'max_length'],
			'NUMBER_TYPE_MAX'
		);
		expect50035(await rest('POST', globalCommands, cmd('bad', { dm_permission: 'no' })), ['dm_permission'], 'BOOLEAN_TYPE_CONVERT');
		expect50035(
			await rest('PUT', guildCommands, [cmd('ok'), cmd('bad', { default_member_permissions: 'all' })]),
			[1, 'default_member_permissions'],
			'NUMBER_TYPE_COERCE'
		);
		const created = await rest('POST', guildCommands, cmd('good', { default_member_permissions: '32' }));
		expect(created.status, created.text).toBe(201);
		const id = (created.body as { id: string }).id;
		expect50035(await rest('PATCH', `${guildCommands}/${id}`, { description: 'd'.repeat(101) }), ['description'], 'BASE_TYPE_MAX_LENGTH');
		expect((await rest('PATCH', `${guildCommands}/${id}`, { description: 'Changed' })).status).toBe(200);
		expect(((await rest('GET', guildCommands)).body as Array<{ name: string }>).map((c) => c.name)).toEqual(['good']);
	});

	it('GIVEN a command over 8,000 characters counted recursively THEN APPLICATION_COMMAND_TOO_LARGE; 8,000 passes', async () => {
		// Two string options with 25 choices each: every field within its own limit, only the sum is measured.
		const sized = (total: number) => {
			let left = total - 'big'.length - 'B'.length;
			const options = ['a', 'b'].map((name) => {
				left -= name.length + 'D'.length;
				const choices = [];
				for (let k = 0; k < 25 && left > 0; k++) {
					const choice = 'n'.repeat(Math.min(100, left));
					left -= choice.length;
					const value = 'v'.repeat(Math.max(0, Math.min(100, left)));
					left -= value.length;
					choices.push({ name: choice, value });
				}
				return { type: 3, name, description: 'D', choices };
			});
			return { name: 'big', description: 'B', options };
		};
		const tooBig = sized(8001);
		const tooBigRes = await rest('POST', guildCommands, tooBig);
		expect(tooBigRes.status, tooBigRes.text).toBe(400);
		expect(formErrorsAt(tooBigRes.body, [])?.map((e) => e.code)).toContain('APPLICATION_COMMAND_TOO_LARGE');
		expect50035(await rest('PUT', guildCommands, [cmd('small'), tooBig]), [1], 'APPLICATION_COMMAND_TOO_LARGE');
		const fits = sized(8000);
		const fitsRes = await rest('POST', guildCommands, fits);
		expect(fitsRes.status, fitsRes.text).toBe(201);
	});

	it('GIVEN a 101st chat-input command in a scope THEN 30032 (create) or 50035 (overwrite); 100 pass', async () => {
		expect((await rest('PUT', globalCommands, many(100))).status).toBe(200);
		const extra = await rest('POST', globalCommands, cmd('extra'));
		expect(extra.status, extra.text).toBe(400);
		expect(extra.body).toMatchObject({ code: 30032 });
		// Re-posting an existing name is an update, not a 101st command.
		expect((await rest('POST', globalCommands, cmd('c5', { description: 'Updated' }))).status).toBe(200);
		// User and message commands have their own counts.
		expect((await rest('POST', globalCommands, { type: 2, name: 'Profile' })).status).toBe(201);
		expect50035(await rest('PUT', guildCommands, many(101)), [], 'APPLICATION_COMMANDS_TOO_MANY');
		expect((await rest('GET', guildCommands)).body).toEqual([]);
	});

	it('GIVEN 200 command creates in a guild today THEN the 201st is 30034; updates and other guilds are not counted', async () => {
		expect((await rest('PUT', guildCommands, many(100, 'a'))).status).toBe(200);
		// Replacing them with 99 others creates 99 more: 199.
		expect((await rest('PUT', guildCommands, many(99, 'b'))).status).toBe(200);
		// Overwriting with the same commands, or updating one by name, creates nothing.
		expect((await rest('PUT', guildCommands, many(99, 'b'))).status).toBe(200);
		expect((await rest('POST', guildCommands, cmd('b1', { description: 'Edited' }))).status).toBe(200);
		// The 200th create passes.
		expect((await rest('POST', guildCommands, cmd('last'))).status).toBe(201);
		const overwrite = await rest('PUT', guildCommands, [...many(99, 'b'), cmd('new')]);
		expect(overwrite.status, overwrite.text).toBe(400);
		expect(overwrite.body).toMatchObject({
			code: 30034,
			message: 'Max number of daily application command creates has been reached (200)'
		});
		expect(emulator.guildCommands(emulator.seed.guildId).map((c) => c.name)).toContain('last');
		const lastId = emulator.guildCommands(emulator.seed.guildId).find((c) => c.name === 'last')?.id;
		expect((await rest('DELETE', `${guildCommands}/${lastId}`)).status).toBe(204);
		const created = await rest('POST', guildCommands, cmd('again'));
		expect(created.body).toMatchObject({ code: 30034 });
		expect(emulator.guildCommands(emulator.seed.guildId).some((c) => c.name === 'again' || c.name === 'new')).toBe(false);
		// Global commands are not per guild.
		expect((await rest('POST', globalCommands, cmd('global'))).status).toBe(201);
	});

	it('GIVEN role bodies off the schema THEN 50035 and no role changes; good ones pass', async () => {
		const roles = `/guilds/${emulator.seed.guildId}/roles`;
		expect50035(await rest('POST', roles, { name: 'n'.repeat(101) }), ['name'], 'BASE_TYPE_BAD_LENGTH');
		expect50035(await rest('POST', roles, { name: 'r', permissions: 'lots' }), ['permissions'], 'NUMBER_TYPE_COERCE');
		expect50035(await rest('POST', roles, { name: 'r', hoist: 'yes' }), ['hoist'], 'BOOLEAN_TYPE_CONVERT');
		const before = emulator.snapshot().guilds[0]?.roles.length;
		const created = await rest('POST', roles, { name: 'Tier', permissions: '0', color: 0x00ff00 });
		expect(created.status, created.text).toBe(200);
		const id = (created.body as { id: string }).id;
		expect50035(await rest('PATCH', `${roles}/${id}`, { color: -1 }), ['color'], 'NUMBER_TYPE_MIN');
		expect50035(await rest('PATCH', `${roles}/${id}`, { mentionable: 1 }), ['mentionable'], 'BOOLEAN_TYPE_CONVERT');
		const role = emulator.snapshot().guilds[0]?.roles.find((r) => r.id === id);
		expect(role?.color).toBe(0x00ff00);
		expect(emulator.snapshot().guilds[0]?.roles.length).toBe((before ?? 0) + 1);
		expect((await rest('PATCH', `${roles}/${id}`, { name: 'Tier 2', color: 0 })).status).toBe(200);
	});

	it('GIVEN an integer option outside min_value/max_value THEN the control API refuses the invocation, as the Discord client would', async () => {
		const socket = await RawGateway.open(emulator);
		try {
			await socket.identify(emulator.botToken, 1);
			await rest(
				'POST',
				guildCommands,
				cmd('range', { options: [{ type: 4, name: 'n', description: 'N', min_value: 1, max_value: 10, required: true }] })
			);
			const input = {
				guild_id: emulator.seed.guildId,
				channel_id: emulator.seed.channels.general,
				user_id: emulator.seed.users.ada,
				command: 'range'
			};
			for (const n of [0, 11]) {
				const res = await call(emulator, 'POST', '/_emulator/interactions', { ...input, options: { n } });
				expect(res.status).toBe(400);
				expect((res.body as { error: string }).error).toMatch(n === 0 ? /must be ≥ 1/ : /must be ≤ 10/);
			}
			const from = socket.received.length;
			const ok = await pendingInteraction(emulator, socket, { command: 'range', options: { n: 10 } });
			expect(ok.id).toBeTruthy();
			// Only the in-range invocation reached the bot.
			expect(socket.received.slice(from).filter((p) => p.t === 'INTERACTION_CREATE')).toHaveLength(1);
		} finally {
			socket.close();
		}
	});
});
