import { container } from '@sapphire/framework';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configPlugin } from '../../../src/plugins/config/index.ts';
import { type MileageSettings, mileagePlugin } from '../../../src/plugins/mileage/index.ts';
import { type ApiBot, startApiBot } from '../../api/helpers.ts';
import { query } from '../../helpers/postgres.ts';
import {
	type ControlReply,
	controlRequest,
	recordOriginalEdits,
	sleep,
	waitUntil,
	withCommandOpenToEveryone
} from '../../helpers/sandbox.ts';

// End to end through the emulator: people act with the control API, the bot runs in this process.

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];
let settings: MileageSettings;
/** Contents the bot sent as edits of `@original` (progress and final answers of deferred replies). */
let edits: string[] = [];

const control = (path: string, body: unknown) => controlRequest(bot.emulator, 'POST', path, body);

async function state() {
	return (await (await fetch(`${bot.emulator.baseUrl}/_emulator/state`)).json()) as {
		guilds: { id: string; channels: { id: string; name: string }[]; members: { user_id: string; roles: string[] }[] }[];
		users: { id: string; username: string }[];
	};
}

const run = (user: string, command: string, options?: Record<string, unknown>, guildId = seed.guildId, channelId = seed.channels.general) =>
	control('/_emulator/interactions', { guild_id: guildId, channel_id: channelId, user_id: user, command, options });

const say = (user: string, content: string) =>
	control('/_emulator/messages', { guild_id: seed.guildId, channel_id: seed.channels.general, user_id: user, content });

/** `/mileage show` as the member sees it: the number in the embed. */
async function shown(user: string): Promise<number> {
	const reply = await run(user, 'mileage show', { user });
	const match = /has \*\*(-?[\d,]+)\*\* points/.exec(reply.body.embeds?.[0]?.description ?? '');
	if (!match) throw new Error(`unexpected /mileage show reply: ${JSON.stringify(reply.body)}`);
	return Number(match[1]!.replaceAll(',', ''));
}

/** Ledger rows, once every buffered award is written (so only what a command does moves the count). */
const ledgerRows = async () => {
	await container.mileage.flush(true);
	return Number((await query<{ n: string }>(bot.db.url, 'select count(*) as n from mileage_event'))[0]!.n);
};
const storedTotal = async (user: string, guildId = seed.guildId) =>
	Number(
		(
			await query<{ points: string }>(bot.db.url, 'select points from mileage_total where guild_id = $1 and user_id = $2', [guildId, user])
		)[0]?.points ?? 0
	);
const ledgerSum = async (user: string) =>
	Number(
		(
			await query<{ sum: string | null }>(bot.db.url, 'select sum(delta) as sum from mileage_event where guild_id = $1 and user_id = $2', [
				seed.guildId,
				user
			])
		)[0]!.sum ?? 0
	);
const rolesOf = async (user: string, guildId = seed.guildId) =>
	(await state()).guilds.find((g) => g.id === guildId)!.members.find((m) => m.user_id === user)?.roles ?? [];

/** The last edit of a deferred reply that matches, once the bot sent it. */
const finalEdit = (pattern: RegExp) =>
	waitUntil(
		() => edits.find((content) => pattern.test(content)),
		(found) => found !== undefined,
		10_000
	);

beforeAll(async () => {
	bot = await startApiBot({
		plugins: [configPlugin, mileagePlugin],
		env: { MILEAGE_FLUSH_INTERVAL_MS: '200', MILEAGE_VOICE_MINUTE_MS: '500' }
	});
	seed = bot.emulator.seed;
	// Exact counts: no cooldown between two messages or two reactions.
	settings = (await container.plugins.updateSettings(
		seed.guildId,
		'mileage',
		{ cooldownSeconds: 0 },
		{ id: seed.users.ada, source: 'api' }
	)) as MileageSettings;
	edits = recordOriginalEdits(bot.handle.client);
}, 60_000);

afterAll(async () => {
	await bot?.stop();
});

beforeEach(() => {
	edits.length = 0;
});

describe('/mileage and /mileage-admin are registered', () => {
	it('GIVEN the mileage plugin THEN /mileage is for everyone and /mileage-admin needs Manage Guild by default_member_permissions', async () => {
		const commands = (await (await fetch(`${bot.emulator.baseUrl}/_emulator/guilds/${seed.guildId}/commands`)).json()) as {
			name: string;
			default_member_permissions: string | null;
		}[];
		expect(commands.find((c) => c.name === 'mileage')?.default_member_permissions ?? null).toBeNull();
		expect(commands.find((c) => c.name === 'mileage-admin')?.default_member_permissions).toBe('32');
	});

	it('GIVEN a member without Manage Guild THEN Discord does not offer /mileage-admin adjust, Facet refuses it when a server opens it, and nothing is written', async () => {
		const before = await ledgerRows();
		const adjust = () => run(seed.users.linus, 'mileage-admin adjust', { user: seed.users.linus, points: 100, reason: 'self-service' });
		const hidden = await adjust();
		expect(hidden.status).toBe(403);
		expect(hidden.body.error).toMatch(/lacks ManageGuild/);
		const reply = await withCommandOpenToEveryone(bot.emulator, 'mileage-admin', adjust);
		expect(reply.body.ephemeral).toBe(true);
		expect(reply.body.content).toMatch(/Manage Server|Manage Guild|permission/i);
		await sleep(400);
		expect(await ledgerRows()).toBe(before);
		expect(await shown(seed.users.linus)).toBe(0);
	});
});

describe('earning points', () => {
	it('GIVEN messages, reactions, voice time and a join THEN /mileage show gives exactly what the settings say', async () => {
		const who = seed.users.margaret;
		// Long enough messages count, short ones do not.
		const long = 'a'.repeat(settings.minMessageLength);
		const short = 'a'.repeat(Math.max(0, settings.minMessageLength - 1)) || null;
		for (let i = 0; i < 3; i++) expect((await say(who, `${long} ${i}`)).status).toBe(201);
		if (short) expect((await say(who, short)).status).toBe(201);
		// Reactions on two of linus's messages.
		for (let i = 0; i < 2; i++) {
			const message = await say(seed.users.linus, `something to react to ${i}`);
			const reaction = await control('/_emulator/reactions', {
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				message_id: message.body.id,
				user_id: who,
				emoji: '👍'
			});
			expect(reaction.status).toBe(200);
		}
		// 3.5 voice minutes (of 500 ms here): 3 whole minutes are credited, with ±250 ms of slack for event delivery.
		expect((await control('/_emulator/voice', { guild_id: seed.guildId, user_id: who, channel_id: seed.channels.lounge })).status).toBe(
			200
		);
		await sleep(1_750);
		expect((await control('/_emulator/voice', { guild_id: seed.guildId, user_id: who, channel_id: null })).status).toBe(200);

		const expected = 3 * settings.perMessage + 2 * settings.perReaction + 3 * settings.perVoiceMinute;
		// Voice minutes are counted at the next flush; the rest shows at once (not yet flushed is included).
		expect(
			await waitUntil(
				() => shown(who),
				(points) => points === expected
			)
		).toBe(expected);
		// …and it is what the ledger and the total say once flushed.
		expect(
			await waitUntil(
				() => storedTotal(who),
				(points) => points === expected
			)
		).toBe(expected);
		expect(await ledgerSum(who)).toBe(expected);

		// linus's own messages counted for linus, not margaret.
		expect(await shown(seed.users.linus)).toBe(2 * settings.perMessage);

		const joined = await control('/_emulator/members', { guild_id: seed.guildId, username: 'newcomer' });
		expect(joined.status).toBe(201);
		const newcomer = (joined.body.user as { id: string }).id;
		expect(
			await waitUntil(
				() => shown(newcomer),
				(points) => points === settings.perJoin
			)
		).toBe(settings.perJoin);
	});
});

describe('adjust and reverse', () => {
	it('GIVEN an adjustment THEN reversing it restores the total; a second reversal is refused and writes nothing', async () => {
		const before = await shown(seed.users.linus);
		const adjusted = await run(seed.users.grace, 'mileage-admin adjust', {
			user: seed.users.linus,
			points: 25,
			reason: 'helped at the event'
		});
		expect(adjusted.body.ephemeral).toBe(true);
		const eventId = Number(/^Event #(\d+)/.exec(adjusted.body.content ?? '')?.[1]);
		expect(eventId, adjusted.body.content).toBeGreaterThan(0);
		expect(await shown(seed.users.linus)).toBe(before + 25);

		const reversed = await run(seed.users.grace, 'mileage-admin reverse', { event: eventId, reason: 'wrong member' });
		const reversalId = Number(/^Event #(\d+) reverses/.exec(reversed.body.content ?? '')?.[1]);
		expect(reversalId, reversed.body.content).toBeGreaterThan(eventId);
		expect(await shown(seed.users.linus)).toBe(before);

		const rows = await ledgerRows();
		const again = await run(seed.users.grace, 'mileage-admin reverse', { event: eventId, reason: 'once more' });
		expect(again.body.ephemeral).toBe(true);
		expect(again.body.content).toBe(`Event #${eventId} was already reversed by #${reversalId}.`);
		const ofReversal = await run(seed.users.grace, 'mileage-admin reverse', { event: reversalId, reason: 'undo the undo' });
		expect(ofReversal.body.content).toBe(`Event #${reversalId} is itself a reversal and cannot be reversed.`);
		expect(await ledgerRows()).toBe(rows);
		expect(await shown(seed.users.linus)).toBe(before);

		// The history shows both entries, their reasons and the link between them.
		const history = await run(seed.users.linus, 'mileage history');
		expect(history.body.ephemeral).toBe(true);
		const text = history.body.embeds?.[0]?.description ?? '';
		expect(text).toContain(`\`#${reversalId}\` **-25** reversal of #${eventId} — “wrong member”`);
		expect(text).toContain(`reversed by #${reversalId}`);
		expect(text).toContain('“helped at the event”');
	});

	it("GIVEN another server's event THEN reversing it here is refused as unknown and writes nothing", async () => {
		const other = await control('/_emulator/guilds', { name: 'Other Server', owner_id: seed.users.ada });
		expect(other.status).toBe(201);
		const otherId = other.body.id as string;
		const channel = await waitUntil(
			async () => (await state()).guilds.find((g) => g.id === otherId)?.channels[0]?.id,
			(id) => id !== undefined
		);
		// Its commands are synced when the bot joins.
		await waitUntil(
			async () =>
				((await (await fetch(`${bot.emulator.baseUrl}/_emulator/guilds/${otherId}/commands`)).json()) as { name: string }[]).map(
					(c) => c.name
				),
			(names) => names.includes('mileage-admin')
		);
		const there = await run(
			seed.users.ada,
			'mileage-admin adjust',
			{ user: seed.users.ada, points: 7, reason: 'elsewhere' },
			otherId,
			channel
		);
		const foreignId = Number(/^Event #(\d+)/.exec(there.body.content ?? '')?.[1]);
		expect(foreignId, there.body.content).toBeGreaterThan(0);

		const rows = await ledgerRows();
		const refused = await run(seed.users.grace, 'mileage-admin reverse', { event: foreignId, reason: 'not ours' });
		expect(refused.body.ephemeral).toBe(true);
		expect(refused.body.content).toBe(`There is no mileage event #${foreignId} in this server.`);
		expect(await ledgerRows()).toBe(rows);
		expect(await storedTotal(seed.users.ada, otherId)).toBe(7);
	});

	it('GIVEN bad input THEN a clear error, and the ledger row count is unchanged', async () => {
		const rows = await ledgerRows();
		const before = await shown(seed.users.linus);
		// Zero passes Discord's min/max, so the bot refuses it itself.
		const zero = await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.linus, points: 0, reason: 'nothing' });
		expect(zero.body.ephemeral).toBe(true);
		expect(zero.body.content).toBe('Points must be a whole number between -1000000 and 1000000, not 0.');
		const unknown = await run(seed.users.grace, 'mileage-admin reverse', { event: 987_654_321, reason: 'typo' });
		expect(unknown.body.content).toBe('There is no mileage event #987654321 in this server.');
		// Non-integers, out-of-range amounts and over-long reasons never reach the bot: Discord (the emulator) refuses them.
		const fraction = await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.linus, points: 1.5, reason: 'half' });
		expect(fraction.status).toBe(400);
		expect(fraction.body.error).toContain('expects an integer');
		const huge = await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.linus, points: 1_000_001, reason: 'lots' });
		expect(huge.status).toBe(400);
		expect(huge.body.error).toContain('≤ 1000000');
		const longReason = await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.linus, points: 1, reason: 'x'.repeat(201) });
		expect(longReason.status).toBe(400);
		await sleep(300);
		expect(await ledgerRows()).toBe(rows);
		expect(await shown(seed.users.linus)).toBe(before);
	});
});

describe('tiers', () => {
	it('GIVEN a tier THEN crossing its threshold gives the role; changing the tiers and /tiers sync re-sync every member', async () => {
		const { member } = seed.roles;
		// alan holds @Member from the seed but has no points: once @Member is a tier role, the sync takes it away.
		expect(await rolesOf(seed.users.alan)).toContain(member);
		const linusPoints = await shown(seed.users.linus);
		const threshold = linusPoints + 30;
		const added = await run(seed.users.grace, 'mileage-admin tiers add', { name: 'Regular', threshold, role: member });
		const addedText = await finalEdit(/^Tier #\d+ \*\*Regular\*\*/);
		expect(addedText, JSON.stringify(added.body)).toMatch(/Checked \d+ members: 1 had their roles changed\./);
		expect(await rolesOf(seed.users.alan)).not.toContain(member);
		const tierId = Number(/^Tier #(\d+)/.exec(addedText!)?.[1]);

		// Crossing the threshold (a flush or an adjustment) puts the role on the member.
		await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.linus, points: 30, reason: 'crossing' });
		expect(
			await waitUntil(
				() => rolesOf(seed.users.linus),
				(roles) => roles.includes(member)
			)
		).toContain(member);
		// Falling below it takes the role away.
		await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.linus, points: -1, reason: 'just below' });
		expect(
			await waitUntil(
				() => rolesOf(seed.users.linus),
				(roles) => !roles.includes(member)
			)
		).not.toContain(member);

		// The list shows it without problems.
		const list = await run(seed.users.grace, 'mileage-admin tiers list');
		expect(list.body.embeds?.[0]?.description).toContain(
			`\`#${tierId}\` **Regular** — ${threshold.toLocaleString('en-US')} points → <@&${member}>`
		);
		expect(list.body.embeds?.[0]?.description).not.toContain('cannot be assigned');

		// Autocomplete offers the existing tiers.
		const choices = await control('/_emulator/interactions', {
			guild_id: seed.guildId,
			channel_id: seed.channels.general,
			user_id: seed.users.grace,
			command: 'mileage-admin tiers remove',
			options: { tier: 'reg' },
			autocomplete: 'tier'
		});
		expect(choices.body.choices).toEqual([{ name: `Regular (${threshold.toLocaleString('en-US')} points)`, value: tierId }]);

		// Changing the tiers re-syncs: a lower threshold gives @Member to everyone above it.
		edits.length = 0;
		await run(seed.users.grace, 'mileage-admin tiers remove', { tier: tierId });
		expect(await finalEdit(/removed/)).toContain('**Regular** removed');
		await run(seed.users.grace, 'mileage-admin tiers add', { name: 'Regular', threshold: settings.perJoin, role: member });
		await finalEdit(/^Tier #\d+ \*\*Regular\*\*/);
		for (const user of [seed.users.linus, seed.users.margaret]) expect(await rolesOf(user)).toContain(member);
		expect(await rolesOf(seed.users.alan)).not.toContain(member);

		// A role taken away behind the bot's back comes back with /tiers sync, which reports the counts.
		const removed = await fetch(`${bot.emulator.restUrl}/v10/guilds/${seed.guildId}/members/${seed.users.linus}/roles/${member}`, {
			method: 'DELETE',
			headers: { authorization: `Bot ${bot.emulator.botToken}` }
		});
		expect(removed.status).toBe(204);
		await waitUntil(
			() => bot.handle.client.guilds.cache.get(seed.guildId)?.members.cache.get(seed.users.linus)?.roles.cache.has(member) ?? true,
			(has) => !has
		);
		edits.length = 0;
		await run(seed.users.grace, 'mileage-admin tiers sync');
		const synced = await finalEdit(/^Checked/);
		expect(synced).toMatch(/^Checked \d+ members: 1 had their roles changed\.$/);
		expect(await rolesOf(seed.users.linus)).toContain(member);
	});

	it('GIVEN a tier whose role the bot cannot assign THEN the problem is listed and the role is not retried on every crossing', async () => {
		const robot = seed.roles.bot; // the bot's own (managed) role: at the bot's position, never assignable
		const warnings = () => bot.logs.filter((line) => line.includes('mileage tier role cannot be assigned')).length;
		// The bot's role carries Manage Roles and Manage Messages: a tier with it needs the admin's confirmation.
		await run(seed.users.grace, 'mileage-admin tiers add', { name: 'Robot', threshold: 3, role: robot, confirm: true });
		const reply = await finalEdit(/^Tier #\d+ \*\*Robot\*\*/);
		expect(reply).toMatch(/\n⚠️ The role cannot be assigned: the role is managed by an integration\.$/);
		const list = await run(seed.users.grace, 'mileage-admin tiers list');
		expect(list.body.embeds?.[0]?.description).toMatch(/\*\*Robot\*\*.*\n⚠️ cannot be assigned: the role is managed by an integration/);

		// alan (0 points) crosses 3 (and only 3) back and forth: no role request for it, one warning in all.
		const roleRequests = () =>
			Object.entries(bot.emulator.stats.restByRoute)
				.filter(([route]) => route.includes('/roles/'))
				.reduce((sum, [, n]) => sum + n, 0);
		const requestsBefore = roleRequests();
		const warningsBefore = warnings();
		for (const points of [4, -4, 4, -4]) {
			await run(seed.users.grace, 'mileage-admin adjust', { user: seed.users.alan, points, reason: 'back and forth' });
		}
		await sleep(500);
		expect(roleRequests()).toBe(requestsBefore);
		expect(warnings()).toBe(warningsBefore);
		expect(await rolesOf(seed.users.alan)).not.toContain(robot);

		// /tiers sync tries again (a fixed hierarchy would be picked up) and reports it again.
		edits.length = 0;
		await run(seed.users.grace, 'mileage-admin tiers sync');
		expect(await finalEdit(/^Checked/)).toContain('⚠️ **Robot**');
		const tierId = Number(/`#(\d+)` \*\*Robot\*\*/.exec(list.body.embeds?.[0]?.description ?? '')?.[1]);
		await run(seed.users.grace, 'mileage-admin tiers remove', { tier: tierId });
		await finalEdit(/\*\*Robot\*\* removed/);
	});
});

describe('the leaderboard', () => {
	it('GIVEN more than a page of members THEN Previous/Next page through it and the ends are checked', async () => {
		const rows = Array.from({ length: 23 }, (_, i) => ({
			userId: String(900_000_000_000_000_000n + BigInt(i)),
			points: 10_000 + i * 10,
			note: null
		}));
		await container.mileage.import(seed.guildId, rows, seed.users.ada);
		const expected = await query<{ user_id: string; points: string }>(
			bot.db.url,
			'select user_id, points from mileage_total where guild_id = $1 and points <> 0 order by points desc, user_id asc',
			[seed.guildId]
		);
		const pages = Math.ceil(expected.length / 10);
		const pageLines = (page: number) =>
			expected.slice((page - 1) * 10, page * 10).map((row) => `<@${row.user_id}> — ${Number(row.points).toLocaleString('en-US')} points`);
		const check = (reply: ControlReply, page: number) => {
			const embed = reply.embeds?.[0];
			expect(embed?.footer?.text).toContain(`Page ${page} of ${pages}`);
			const lines = (embed?.description ?? '').split('\n').map((line) => line.replace(/^\*\*#\d+\*\* /, ''));
			expect(lines).toEqual(pageLines(page));
			const [previous, next] = reply.components?.[0]?.components ?? [];
			expect(previous?.disabled ?? false).toBe(page === 1);
			expect(next?.disabled ?? false).toBe(page === pages);
			return { previous: previous!, next: next! };
		};

		const first = await run(seed.users.linus, 'mileage leaderboard');
		expect(first.body.ephemeral).toBe(false);
		const messageId = first.body.message_id!;
		let buttons = check(first.body, 1);
		const press = (customId: string) =>
			control('/_emulator/components', { message_id: messageId, user_id: seed.users.margaret, custom_id: customId });

		// A disabled button pressed anyway (a stale client) is refused, and the message stays on its page.
		const before = await press(buttons.previous.custom_id);
		expect(before.body.ephemeral).toBe(true);
		expect(before.body.content).toBe('There is no page before the first one.');

		for (let page = 2; page <= pages; page++) {
			const next = await press(buttons.next.custom_id);
			expect(next.body.message_id).toBe(messageId);
			buttons = check(next.body, page);
		}
		const beyond = await press(buttons.next.custom_id);
		expect(beyond.body.content).toBe(`The leaderboard has ${pages} pages now.`);
		const back = await press(buttons.previous.custom_id);
		check(back.body, pages - 1);

		const outOfRange = await run(seed.users.linus, 'mileage leaderboard', { page: pages + 1 });
		expect(outOfRange.body.ephemeral).toBe(true);
		expect(outOfRange.body.content).toBe(`The leaderboard has ${pages} pages.`);
	});
});

describe('rebuild', () => {
	it('GIVEN totals corrupted in the database THEN rebuild restores the exact ledger sums, showing progress; a second rebuild changes nothing', async () => {
		await container.mileage.flush(true);
		const linus = await ledgerSum(seed.users.linus);
		await query(bot.db.url, 'update mileage_total set points = points + 777 where guild_id = $1 and user_id = $2', [
			seed.guildId,
			seed.users.linus
		]);
		await query(bot.db.url, 'insert into mileage_total (guild_id, user_id, points) values ($1, $2, 50)', [
			seed.guildId,
			'123456789012345678'
		]);
		expect(await shown(seed.users.linus)).toBe(linus + 777);

		expect((await run(seed.users.linus, 'mileage-admin rebuild')).status).toBe(403);
		const refused = await withCommandOpenToEveryone(bot.emulator, 'mileage-admin', () => run(seed.users.linus, 'mileage-admin rebuild'));
		expect(refused.body.content).toMatch(/Manage Server|Manage Guild|permission/i);

		const first = await run(seed.users.grace, 'mileage-admin rebuild');
		expect(first.body.ephemeral).toBe(true);
		const done = await finalEdit(/^Rebuilt/);
		expect(done).toMatch(/^Rebuilt the totals of \d+ members from the ledger: 2 totals changed\.$/);
		// The reply was edited with progress before the result.
		expect(edits.findIndex((c) => c.startsWith('Rebuilding totals from the ledger…'))).toBeLessThan(edits.indexOf(done!));
		expect(edits.find((c) => c.startsWith('Rebuilding'))).toMatch(/\d+ \/ \d+ \(\d+%\) members$/);

		expect(await shown(seed.users.linus)).toBe(linus);
		expect(await storedTotal('123456789012345678')).toBe(0);
		const mismatched = await query(
			bot.db.url,
			`select t.user_id from mileage_total t left join (select guild_id, user_id, sum(delta) as s from mileage_event group by 1, 2) e
			 using (guild_id, user_id) where t.points <> coalesce(e.s, 0)`
		);
		expect(mismatched).toEqual([]);

		edits.length = 0;
		await run(seed.users.grace, 'mileage-admin rebuild');
		expect(await finalEdit(/^Rebuilt/)).toMatch(/: 0 totals changed\.$/);
	});
});
