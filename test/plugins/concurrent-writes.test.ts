import { MikroORM } from '@mikro-orm/postgresql';
import { container } from '@sapphire/framework';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentId } from '../../src/core/boot.ts';
import { createOrmConfig } from '../../src/core/database/config.ts';
import { parseEnv } from '../../src/core/env.ts';
import { ENABLED_KEY, PluginService } from '../../src/core/plugins/service.ts';
import { connectRedis } from '../../src/core/redis.ts';
import { configPlugin } from '../../src/plugins/config/index.ts';
import { type ApiBot, type Browser, login, startApiBot } from '../api/helpers.ts';
import { echoPlugin } from '../fixtures/plugins/echo/index.ts';
import { query } from '../helpers/postgres.ts';
import { controlRequest, waitUntil } from '../helpers/sandbox.ts';

/*
 * Plugin state written by many writers at once: API requests, commands, and a second PluginService with its own
 * ORM and cache (what another process of the deployment is). Every change must land in the stored row, and the
 * audit log must chain: each entry's `before` is the previous entry's `after` for that key, the last `after` is stored.
 */

let bot: ApiBot;
let grace: Browser;
let seed: ApiBot['emulator']['seed'];
let guildId: string;
/** The "other process": its own ORM, Redis connection and cache, same database and deployment. */
let other: PluginService;
let otherOrm: MikroORM;
let otherRedis: Awaited<ReturnType<typeof connectRedis>>;

interface AuditRow {
	id: string;
	key: string;
	plugin: string;
	before: { value: unknown } | null;
	after: { value: unknown } | null;
	revert_of: string | null;
}

const patch = (body: unknown) =>
	grace.fetch(`${bot.base}/guilds/${guildId}/plugins/config/settings`, {
		method: 'PATCH',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});

const storedRow = async (plugin: string) =>
	(
		await query<{ enabled: boolean | null; settings: Record<string, unknown> }>(
			bot.db.url,
			'select enabled, settings from core_plugin_state where guild_id = $1 and plugin = $2',
			[guildId, plugin]
		)
	)[0];

const auditRows = (plugin: string) =>
	query<AuditRow>(
		bot.db.url,
		'select id, key, plugin, before, after, revert_of from core_audit_entry where guild_id = $1 and plugin = $2 order by id',
		[guildId, plugin]
	);

/** Checks that, per key, the audit entries chain and end at the stored value (`null` after = unset). */
function expectChained(rows: AuditRow[], stored: (key: string) => { value: unknown } | null) {
	const byKey = new Map<string, AuditRow[]>();
	for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row]);
	for (const [key, entries] of byKey) {
		for (let i = 1; i < entries.length; i++) {
			expect(entries[i]!.before, `${key}: entry #${entries[i]!.id} before = #${entries[i - 1]!.id} after`).toEqual(entries[i - 1]!.after);
		}
		expect(entries.at(-1)!.after, `${key}: last entry = stored`).toEqual(stored(key));
	}
}

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin, echoPlugin] });
	seed = bot.emulator.seed;
	guildId = seed.guildId;
	grace = (await login(bot, 'grace')).browser;
	const env = parseEnv({ DATABASE_URL: bot.db.url });
	otherOrm = await MikroORM.init(createOrmConfig({ clientUrl: bot.db.url, poolMax: 10 }));
	otherRedis = await connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', pino({ level: 'silent' }));
	other = new PluginService([configPlugin, echoPlugin], otherOrm, otherRedis, pino({ level: 'silent' }), deploymentId(env));
	await other.start();
}, 60_000);

afterAll(async () => {
	await other?.stop();
	await otherRedis?.quit();
	await otherOrm?.close();
	await bot?.stop();
});

describe('concurrent settings changes', () => {
	it('GIVEN six PATCHes to six different keys at once, three rounds THEN every change is stored and audited in a chain', async () => {
		const rounds = [
			{ timezone: 'Asia/Tokyo', locale: 'fr', welcomeMessage: 'Hi {user}', welcomeChannel: seed.channels.welcome },
			{ timezone: 'Europe/Paris', locale: 'de', welcomeMessage: 'Hello {user}', welcomeChannel: seed.channels.general },
			{ timezone: 'America/Lima', locale: 'ja', welcomeMessage: 'Yo {user}', welcomeChannel: seed.channels.feeds }
		];
		for (const [i, values] of rounds.entries()) {
			const all = {
				...values,
				dailyChannel: i % 2 ? seed.channels.daily : seed.channels.general,
				dashboardRoles: i % 2 ? [seed.roles.member] : [seed.roles.admin]
			};
			const answers = await Promise.all(Object.entries(all).map(([key, value]) => patch({ [key]: value })));
			expect(answers.map((answer) => answer.status)).toEqual(Object.keys(all).map(() => 200));
			expect((await storedRow('config'))!.settings, `round ${i + 1}`).toEqual(all);
			expect(container.plugins.settings(guildId, 'config')).toEqual(all);
		}
		const stored = (await storedRow('config'))!.settings;
		const rows = await auditRows('config');
		expect(rows).toHaveLength(6 * rounds.length);
		expectChained(rows, (key) => (key in stored ? { value: stored[key] } : null));
	});

	it('GIVEN two processes changing the same and different keys at once THEN the stored row has every last value and the audit chains', async () => {
		const zones = ['UTC', 'Europe/Berlin', 'Asia/Seoul', 'Africa/Cairo', 'Australia/Perth'];
		const locales = ['en-GB', 'it', 'ko', 'pl', 'sv-SE'];
		const writes: Promise<unknown>[] = [];
		for (let i = 0; i < 20; i++) {
			const service = i % 2 ? other : container.plugins;
			const actor = { id: seed.users.grace, source: 'system' as const };
			writes.push(service.updateSettings(guildId, 'config', { timezone: zones[i % zones.length] }, actor));
			writes.push(service.updateSettings(guildId, 'config', { locale: locales[(i * 3) % locales.length] }, actor));
			// A reset races the others too: an unset key is a `null` after.
			if (i % 7 === 0) writes.push(service.updateSettings(guildId, 'config', { welcomeMessage: undefined }, actor));
		}
		await Promise.all(writes);
		const stored = (await storedRow('config'))!.settings;
		expect(stored.dashboardRoles).toBeDefined();
		expectChained(await auditRows('config'), (key) => (key in stored ? { value: stored[key] } : null));
		// Both caches converge on the stored state (the other one through the Redis announcement).
		for (const service of [container.plugins, other]) {
			const seen = await waitUntil(
				() => service.settings<Record<string, unknown>>(guildId, 'config'),
				(settings) => settings.timezone === stored.timezone && settings.locale === stored.locale
			);
			expect(seen).toMatchObject({ timezone: stored.timezone, locale: stored.locale });
		}
	});

	it('GIVEN two dashboard roles added by command at once THEN both are in the list', async () => {
		await patch({ dashboardRoles: [] });
		const add = (role: string) =>
			controlRequest(bot.emulator, 'POST', '/_emulator/interactions', {
				guild_id: guildId,
				channel_id: seed.channels.general,
				user_id: seed.users.grace,
				command: 'config set dashboard-role-add',
				options: { role }
			});
		const answers = await Promise.all([add(seed.roles.member), add(seed.roles.admin)]);
		for (const answer of answers) expect(answer.body.content).toContain('Dashboard roles');
		expect(((await storedRow('config'))!.settings.dashboardRoles as string[]).sort()).toEqual([seed.roles.admin, seed.roles.member].sort());
	});

	it('GIVEN a revert racing changes to other keys THEN all of them survive and the revert records the stored value it replaced', async () => {
		await patch({ timezone: 'Asia/Tokyo' });
		await patch({ timezone: 'Europe/Paris' });
		const paris = (await auditRows('config')).filter((row) => row.key === 'timezone').at(-1)!;
		const [reverted, locale, message] = await Promise.all([
			grace.fetch(`${bot.base}/guilds/${guildId}/audit/${paris.id}/revert`, { method: 'POST' }),
			patch({ locale: 'uk' }),
			other.updateSettings(guildId, 'config', { welcomeMessage: 'Raced {user}' }, { id: seed.users.grace, source: 'system' })
		]);
		expect([reverted.status, locale.status]).toEqual([200, 200]);
		expect(message).toMatchObject({ welcomeMessage: 'Raced {user}' });
		// The route answers with the entry the revert wrote, not whichever entry is newest.
		const body = (await reverted.json()) as { entry: { id: string; revertOf: string; key: string } };
		expect(body.entry).toMatchObject({ revertOf: paris.id, key: 'timezone' });
		const stored = (await storedRow('config'))!.settings;
		expect(stored).toMatchObject({ timezone: 'Asia/Tokyo', locale: 'uk', welcomeMessage: 'Raced {user}' });
		const rows = await auditRows('config');
		expect(rows.find((row) => row.id === body.entry.id)).toMatchObject({
			before: { value: 'Europe/Paris' },
			after: { value: 'Asia/Tokyo' }
		});
		expectChained(rows, (key) => (key in stored ? { value: stored[key] } : null));
	});
});

describe('concurrent switches', () => {
	it('GIVEN ten switches of one plugin from two processes at once THEN each recorded change flips the stored value once, in a chain', async () => {
		const actor = { id: seed.users.grace, source: 'system' as const };
		const results = await Promise.all(
			Array.from({ length: 10 }, (_, i) => (i % 2 ? other : container.plugins).setEnabled(guildId, 'echo', i % 3 !== 0, actor))
		);
		const rows = (await auditRows('echo')).filter((row) => row.key === ENABLED_KEY);
		// Exactly the calls that say they changed something are audited; a no-op writes nothing.
		expect(rows).toHaveLength(results.filter((result) => result.changed).length);
		for (const row of rows) expect(row.before).not.toEqual(row.after);
		const stored = await storedRow('echo');
		expectChained(rows, () => ({ value: stored!.enabled }));
	});
});
