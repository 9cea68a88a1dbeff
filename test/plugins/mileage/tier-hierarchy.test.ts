import { container } from '@sapphire/framework';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configPlugin } from '../../../src/plugins/config/index.ts';
import { mileagePlugin } from '../../../src/plugins/mileage/index.ts';
import { type ApiBot, startApiBot } from '../../api/helpers.ts';
import { controlRequest, recordOriginalEdits, sleep, waitUntil } from '../../helpers/sandbox.ts';

// Tier roles against the role hierarchy, end to end: roles are created and moved through the emulator's control API,
// people run commands through it, the bot runs in this process.

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];
/** Contents the bot sent as edits of `@original` (the answers of deferred replies). */
let edits: string[] = [];

const MEMBER_ROLE_ROUTES = ['PUT', 'DELETE'].map((method) => `${method} /guilds/{guild_id}/members/{user_id}/roles/{role_id}`);

const control = (method: string, path: string, body: unknown) => controlRequest(bot.emulator, method, path, body);

interface WorldState {
	guilds: {
		id: string;
		roles: { id: string; name: string; permissions: string; position: number }[];
		members: { user_id: string; roles: string[] }[];
	}[];
}

async function world() {
	const state = (await (await fetch(`${bot.emulator.baseUrl}/_emulator/state`)).json()) as WorldState;
	return state.guilds.find((g) => g.id === seed.guildId)!;
}

const run = (user: string, command: string, options?: Record<string, unknown>) =>
	control('POST', '/_emulator/interactions', {
		guild_id: seed.guildId,
		channel_id: seed.channels.general,
		user_id: user,
		command,
		options
	});

/** `/mileage-admin adjust` as grace (an admin). */
const adjust = (user: string, points: number) => run(seed.users.grace, 'mileage-admin adjust', { user, points, reason: 'tier test' });

const rolesOf = async (user: string) => (await world()).members.find((m) => m.user_id === user)?.roles ?? [];

/** Requests the bot made to give or take a member's role, 429s included. */
const memberRoleRequests = () => MEMBER_ROLE_ROUTES.reduce((sum, route) => sum + (bot.emulator.stats.restByRoute[route] ?? 0), 0);

/** The problem of the tier for `roleId`, as the bot holds it. */
const problemOf = (roleId: string) => container.mileageTiers.list(seed.guildId).find((tier) => tier.roleId === roleId)?.problem ?? null;

/** What `/mileage-admin tiers list` shows. */
async function listed(): Promise<string> {
	const reply = await run(seed.users.grace, 'mileage-admin tiers list');
	return reply.body.embeds?.[0]?.description ?? '';
}

/** The first edit of a deferred reply that matches, once the bot sent it. */
const finalEdit = (pattern: RegExp) =>
	waitUntil(
		() => edits.find((content) => pattern.test(content)),
		(found) => found !== undefined,
		10_000
	);

const cachedGuild = () => bot.handle.client.guilds.cache.get(seed.guildId)!;

/** Creates a role through the control API and waits until the bot has it cached. */
async function createRole(name: string, position?: number): Promise<{ id: string; position: number }> {
	const res = await control('POST', '/_emulator/roles', { guild_id: seed.guildId, name, ...(position ? { position } : {}) });
	expect(res.status, JSON.stringify(res.body)).toBe(201);
	const role = res.body as unknown as { id: string; position: number };
	await waitUntil(
		() => cachedGuild().roles.cache.get(role.id),
		(cached) => cached !== undefined
	);
	return role;
}

async function addTier(name: string, threshold: number, roleId: string): Promise<number> {
	edits.length = 0;
	const reply = await run(seed.users.grace, 'mileage-admin tiers add', { name, threshold, role: roleId });
	const text = await finalEdit(new RegExp(`^Tier #\\d+ \\*\\*${name}\\*\\*`));
	expect(text, JSON.stringify(reply.body)).toBeDefined();
	return Number(/^Tier #(\d+)/.exec(text!)?.[1]);
}

async function removeTier(tierId: number, name: string): Promise<void> {
	edits.length = 0;
	await run(seed.users.grace, 'mileage-admin tiers remove', { tier: tierId });
	await finalEdit(new RegExp(`\\*\\*${name}\\*\\* removed`));
}

async function syncTiers(): Promise<string> {
	edits.length = 0;
	await run(seed.users.grace, 'mileage-admin tiers sync');
	return (await finalEdit(/^Checked/))!;
}

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin, mileagePlugin], env: { MILEAGE_FLUSH_INTERVAL_MS: '200' } });
	seed = bot.emulator.seed;
	edits = recordOriginalEdits(bot.handle.client);
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

beforeEach(() => {
	edits.length = 0;
});

describe('tier roles and the role hierarchy', () => {
	it('GIVEN a tier role above the bot’s highest role THEN it is not granted, the problem says why and crossings make no role request; moved below the bot, /tiers sync grants it and clears the problem', async () => {
		const botRole = (await world()).roles.find((r) => r.id === seed.roles.bot)!;
		const legend = await createRole('Legend', botRole.position + 1);
		expect(legend.position).toBeGreaterThan(botRole.position);
		expect((await world()).roles.find((r) => r.id === seed.roles.bot)!.position).toBeLessThan(legend.position);
		// The bot sees the same order.
		expect(cachedGuild().members.me!.roles.highest.comparePositionTo(legend.id)).toBeLessThan(0);

		const tierId = await addTier('Legend', 1_000, legend.id);
		const before = memberRoleRequests();
		await adjust(seed.users.linus, 1_000);
		const problem = await waitUntil(
			() => problemOf(legend.id),
			(p) => p !== null
		);
		expect(problem).toBe("the bot's highest role must be above @Legend");
		expect(await rolesOf(seed.users.linus)).not.toContain(legend.id);
		expect(await listed()).toMatch(
			/\*\*Legend\*\* — 1,000 points → <@&\d+>\n⚠️ cannot be assigned: the bot's highest role must be above @Legend/
		);

		// Back and forth over the threshold (linus and grace): the bot knows it cannot, so it does not ask Discord.
		for (const [user, points] of [
			[seed.users.linus, -1_000],
			[seed.users.linus, 1_000],
			[seed.users.grace, 1_000],
			[seed.users.linus, -1],
			[seed.users.linus, 1]
		] as const)
			await adjust(user, points);
		await sleep(500);
		expect(memberRoleRequests()).toBe(before);
		expect(await rolesOf(seed.users.linus)).not.toContain(legend.id);

		// Moved below the bot's role: the roles in between move up one, the bot hears of every move.
		const moved = await control('PATCH', `/_emulator/roles/${legend.id}`, { guild_id: seed.guildId, position: 1 });
		expect(moved.status, JSON.stringify(moved.body)).toBe(200);
		const after = await world();
		expect(after.roles.find((r) => r.id === legend.id)!.position).toBe(1);
		expect(after.roles.find((r) => r.id === seed.roles.bot)!.position).toBeGreaterThan(1);
		await waitUntil(
			() => cachedGuild().members.me!.roles.highest.comparePositionTo(legend.id),
			(order) => order > 0
		);
		// A recorded problem waits for a sync: nothing is retried on its own.
		expect(problemOf(legend.id)).not.toBeNull();

		const synced = await syncTiers();
		expect(synced).toMatch(/^Checked \d+ members: 2 had their roles changed\.$/);
		expect(await rolesOf(seed.users.linus)).toContain(legend.id);
		expect(await rolesOf(seed.users.grace)).toContain(legend.id);
		expect(memberRoleRequests()).toBe(before + 2);
		expect(problemOf(legend.id)).toBeNull();
		expect(await listed()).not.toContain('cannot be assigned');

		// Crossings work again: below the threshold the role goes.
		await adjust(seed.users.grace, -1_000);
		expect(
			await waitUntil(
				() => rolesOf(seed.users.grace),
				(roles) => !roles.includes(legend.id)
			)
		).not.toContain(legend.id);
		await removeTier(tierId, 'Legend');
	});

	it('GIVEN the bot’s own check passes but Discord answers 50013 THEN the problem is recorded once and the role is not retried until a sync', async () => {
		const regular = await createRole('Regular');
		expect(cachedGuild().members.me!.roles.highest.comparePositionTo(regular.id)).toBeGreaterThan(0);
		const tierId = await addTier('Regular', 500, regular.id);
		const warnings = () => bot.logs.filter((line) => line.includes('mileage tier role cannot be assigned')).length;
		const warningsBefore = warnings();

		// The race: the bot checked its (then true) permissions and sent the request; a 429 holds the request
		// while an admin takes Manage Roles away from the bot's role; the retry is refused.
		const fault = await control('POST', '/_emulator/faults', {
			kind: 'rest_429',
			route: `/members/${seed.users.margaret}/roles/${regular.id}`,
			retry_after: 1
		});
		expect(fault.status).toBe(200);
		const before = memberRoleRequests();
		await adjust(seed.users.margaret, 500);
		await waitUntil(memberRoleRequests, (n) => n === before + 1);
		expect(memberRoleRequests()).toBe(before + 1);
		const botRole = (await world()).roles.find((r) => r.id === seed.roles.bot)!;
		const withManageRoles = BigInt(botRole.permissions);
		expect(withManageRoles & PermissionFlagsBits.ManageRoles).toBe(PermissionFlagsBits.ManageRoles);
		const revoked = await control('PATCH', `/_emulator/roles/${seed.roles.bot}`, {
			guild_id: seed.guildId,
			permissions: (withManageRoles & ~PermissionFlagsBits.ManageRoles).toString()
		});
		expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);

		expect(
			await waitUntil(
				() => problemOf(regular.id),
				(p) => p !== null,
				10_000
			)
		).toBe('Discord refused: missing permissions');
		expect(memberRoleRequests()).toBe(before + 2);
		expect(await rolesOf(seed.users.margaret)).not.toContain(regular.id);
		expect(await listed()).toMatch(/\*\*Regular\*\* — 500 points → <@&\d+>\n⚠️ cannot be assigned: Discord refused: missing permissions/);

		// Not retried: more crossings, no request, no new warning.
		for (const points of [-500, 500, -500, 500]) await adjust(seed.users.margaret, points);
		await sleep(500);
		expect(memberRoleRequests()).toBe(before + 2);
		expect(warnings()).toBe(warningsBefore + 1);

		// A sync re-checks from the bot's own (now updated) view: the missing permission is named, still no request.
		await waitUntil(
			() => cachedGuild().members.me!.permissions.has(PermissionFlagsBits.ManageRoles),
			(has) => !has
		);
		expect(await syncTiers()).toContain('⚠️ **Regular** (<@&');
		expect(problemOf(regular.id)).toBe('the bot lacks the Manage Roles permission');
		expect(memberRoleRequests()).toBe(before + 2);

		// Manage Roles given back: the next sync grants the role and clears the problem.
		const restored = await control('PATCH', `/_emulator/roles/${seed.roles.bot}`, {
			guild_id: seed.guildId,
			permissions: withManageRoles.toString()
		});
		expect(restored.status).toBe(200);
		await waitUntil(
			() => cachedGuild().members.me!.permissions.has(PermissionFlagsBits.ManageRoles),
			(has) => has
		);
		expect(await syncTiers()).toMatch(/^Checked \d+ members: 1 had their roles changed\.$/);
		expect(await rolesOf(seed.users.margaret)).toContain(regular.id);
		expect(problemOf(regular.id)).toBeNull();
		await removeTier(tierId, 'Regular');
	});
});
