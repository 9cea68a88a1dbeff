import { UserError } from '@sapphire/framework';
import { describe, expect, it } from 'vitest';
import { AwardBuffer } from '../../../src/plugins/mileage/lib/buffer.ts';
import { MileageIdentifiers } from '../../../src/plugins/mileage/lib/errors.ts';
import {
	historyLine,
	leaderboardCustomId,
	leaderboardMessage,
	parseLeaderboardCustomId,
	progressText,
	standingEmbed,
	throttleProgress,
	tierListEmbed
} from '../../../src/plugins/mileage/lib/render.ts';
import { type Activity, basePoints, Cooldowns, voiceEligible } from '../../../src/plugins/mileage/lib/rules.ts';
import { MileageSettings } from '../../../src/plugins/mileage/lib/settings.ts';
import type { LedgerEntry } from '../../../src/plugins/mileage/lib/store.ts';
import { crossesThreshold, type TierRule, tierRoleChanges } from '../../../src/plugins/mileage/lib/tiers.ts';
import { VoiceClock } from '../../../src/plugins/mileage/lib/voice.ts';

const GUILD = '100000000000000001';
const OTHER_GUILD = '100000000000000002';
const CHANNEL = '200000000000000001';
const ROLE = '300000000000000001';
const USER = '400000000000000001';

const defaults = MileageSettings.parse({});
const activity = (patch: Partial<Activity> = {}): Activity => ({
	kind: 'message',
	guildId: GUILD,
	userId: USER,
	channelId: CHANNEL,
	bot: false,
	roleIds: [],
	length: 20,
	now: 0,
	...patch
});

/** The identifier of what `fn` throws. */
function identifierOf(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (error) {
		return error instanceof UserError ? error.identifier : `not a UserError: ${String(error)}`;
	}
	return undefined;
}

describe('rules: basePoints', () => {
	it('GIVEN the default settings THEN message, reaction and join are worth 1, 1 and 10', () => {
		expect(basePoints(activity(), defaults)).toBe(1);
		expect(basePoints(activity({ kind: 'reaction' }), defaults)).toBe(1);
		expect(basePoints(activity({ kind: 'join', channelId: null }), defaults)).toBe(10);
	});

	it('GIVEN a message shorter than minMessageLength THEN it is worth nothing; exactly the minimum counts', () => {
		const settings = { ...defaults, minMessageLength: 5, perMessage: 3 };
		expect(basePoints(activity({ length: 4 }), settings)).toBe(0);
		expect(basePoints(activity({ length: 5 }), settings)).toBe(3);
		expect(basePoints(activity({ length: undefined }), settings)).toBe(0);
	});

	it('GIVEN a bot, an ignored channel or an ignored role THEN nothing counts, whatever the kind', () => {
		const settings = { ...defaults, ignoredChannels: [CHANNEL], ignoredRoles: [ROLE] };
		for (const kind of ['message', 'reaction', 'join'] as const) {
			expect(basePoints(activity({ kind, bot: true, channelId: null }), defaults)).toBe(0);
			expect(basePoints(activity({ kind, roleIds: [ROLE] }), { ...defaults, ignoredRoles: [ROLE] })).toBe(0);
		}
		expect(basePoints(activity({ kind: 'reaction' }), settings)).toBe(0);
		expect(basePoints(activity({ channelId: '200000000000000009' }), { ...defaults, ignoredChannels: [CHANNEL] })).toBe(1);
	});
});

describe('rules: Cooldowns', () => {
	it('GIVEN a cooldown THEN a second take inside it is refused and one after it is allowed', () => {
		const cooldowns = new Cooldowns();
		expect(cooldowns.take('a', 1_000, 60_000)).toBe(true);
		expect(cooldowns.take('a', 60_999, 60_000)).toBe(false);
		expect(cooldowns.take('b', 60_999, 60_000)).toBe(true);
		expect(cooldowns.take('a', 61_000, 60_000)).toBe(true);
	});

	it('GIVEN a refused take THEN it does not extend the cooldown', () => {
		const cooldowns = new Cooldowns();
		cooldowns.take('a', 0, 10_000);
		expect(cooldowns.take('a', 9_000, 10_000)).toBe(false);
		expect(cooldowns.take('a', 10_000, 10_000)).toBe(true);
	});

	it('GIVEN no cooldown THEN every take is allowed and nothing is stored', () => {
		const cooldowns = new Cooldowns();
		for (let i = 0; i < 5; i++) expect(cooldowns.take('a', 5, 0)).toBe(true);
		expect(cooldowns.size).toBe(0);
	});

	it('GIVEN entries older than a day THEN they are swept, so the map stays bounded', () => {
		const cooldowns = new Cooldowns();
		cooldowns.take('old', 1_000_000, 1_000);
		expect(cooldowns.size).toBe(1);
		cooldowns.take('new', 1_000_000 + 86_400_001 + 60_001, 1_000);
		expect(cooldowns.size).toBe(1);
	});
});

describe('rules: voiceEligible', () => {
	const base = { channelId: CHANNEL, selfDeaf: false, serverDeaf: false, bot: false };
	it('GIVEN a member in a channel THEN eligible unless deafened, a bot, in the AFK channel or out of voice', () => {
		expect(voiceEligible(base, null)).toBe(true);
		expect(voiceEligible({ ...base, selfDeaf: true }, null)).toBe(false);
		expect(voiceEligible({ ...base, serverDeaf: true }, null)).toBe(false);
		expect(voiceEligible({ ...base, bot: true }, null)).toBe(false);
		expect(voiceEligible(base, CHANNEL)).toBe(false);
		expect(voiceEligible({ ...base, channelId: null }, null)).toBe(false);
	});
});

describe('tiers', () => {
	const tiers: TierRule[] = [
		{ id: 3, name: 'Gold', threshold: 1_000, roleId: 'gold' },
		{ id: 1, name: 'Bronze', threshold: 10, roleId: 'bronze' },
		{ id: 2, name: 'Silver', threshold: 100, roleId: 'silver' }
	];

	it('GIVEN points between thresholds THEN every reached tier is wanted and the others are unwanted', () => {
		expect(tierRoleChanges(150, tiers, false)).toEqual({ want: ['bronze', 'silver'], unwanted: ['gold'] });
		expect(tierRoleChanges(9, tiers, false)).toEqual({ want: [], unwanted: ['bronze', 'silver', 'gold'] });
		expect(tierRoleChanges(1_000, tiers, false)).toEqual({ want: ['bronze', 'silver', 'gold'], unwanted: [] });
	});

	it('GIVEN removeLowerTiers THEN only the highest reached tier is kept', () => {
		expect(tierRoleChanges(150, tiers, true)).toEqual({ want: ['silver'], unwanted: ['bronze', 'gold'] });
		expect(tierRoleChanges(0, tiers, true)).toEqual({ want: [], unwanted: ['bronze', 'silver', 'gold'] });
	});

	it('GIVEN a change THEN it crosses only when one side of some threshold changes, either way', () => {
		expect(crossesThreshold(9, 10, tiers)).toBe(true);
		expect(crossesThreshold(10, 9, tiers)).toBe(true);
		expect(crossesThreshold(10, 99, tiers)).toBe(false);
		expect(crossesThreshold(0, 5_000, tiers)).toBe(true);
		expect(crossesThreshold(5, 5, tiers)).toBe(false);
		expect(crossesThreshold(0, 100, [])).toBe(false);
	});
});

describe('voice: VoiceClock', () => {
	it('GIVEN eligible time THEN whole minutes are credited and the remainder carries over to the next collect', () => {
		const clock = new VoiceClock(300);
		clock.update(GUILD, USER, CHANNEL, true, 0);
		expect(clock.collect(1_000)).toEqual([
			{ guildId: GUILD, userId: USER, channelId: CHANNEL, minutes: 3, remainderMs: 100, until: 1_000 }
		]);
		expect(clock.collect(1_250)[0]).toMatchObject({ minutes: 1, remainderMs: 50 });
		expect(clock.collect(1_250)[0]).toMatchObject({ minutes: 0, remainderMs: 50 });
	});

	it('GIVEN a member who leaves THEN the time up to leaving counts, they are reported once with no channel and forgotten', () => {
		const clock = new VoiceClock(300);
		clock.update(GUILD, USER, CHANNEL, true, 0);
		clock.update(GUILD, USER, null, false, 650);
		expect(clock.collect(5_000)).toEqual([{ guildId: GUILD, userId: USER, channelId: null, minutes: 2, remainderMs: 50, until: 5_000 }]);
		expect(clock.size).toBe(0);
		expect(clock.collect(6_000)).toEqual([]);
	});

	it('GIVEN a deafened stretch THEN it is not counted', () => {
		const clock = new VoiceClock(100);
		clock.update(GUILD, USER, CHANNEL, true, 0);
		clock.update(GUILD, USER, CHANNEL, false, 250); // deafened at 250
		clock.update(GUILD, USER, CHANNEL, true, 10_000); // back at 10 s
		expect(clock.collect(10_060)[0]).toMatchObject({ minutes: 3, remainderMs: 10 });
	});

	it('GIVEN a member restored after a restart THEN the persisted remainder is kept', () => {
		const clock = new VoiceClock(300);
		clock.restore(GUILD, USER, CHANNEL, true, 250, 0);
		expect(clock.collect(60)[0]).toMatchObject({ minutes: 1, remainderMs: 10 });
		const idle = new VoiceClock(300);
		idle.restore(GUILD, USER, CHANNEL, false, 250, 0);
		expect(idle.collect(10_000)[0]).toMatchObject({ minutes: 0, remainderMs: 250 });
	});
});

describe('buffer: AwardBuffer', () => {
	it('GIVEN awards THEN they aggregate per member and reason, and pending counts open and sealed points', () => {
		const buffer = new AwardBuffer(100);
		buffer.add(GUILD, USER, 'message', 1);
		buffer.add(GUILD, USER, 'message', 1);
		buffer.add(GUILD, USER, 'reaction', 2);
		buffer.add(OTHER_GUILD, USER, 'message', 5);
		expect(buffer.openSize).toBe(3);
		expect(buffer.pending(GUILD, USER)).toBe(4);
		const batch = buffer.seal(0)!;
		expect(batch.rows).toEqual(
			expect.arrayContaining([
				{ guildId: GUILD, userId: USER, reason: 'message', delta: 2 },
				{ guildId: GUILD, userId: USER, reason: 'reaction', delta: 2 }
			])
		);
		buffer.add(GUILD, USER, 'message', 1);
		expect(buffer.pending(GUILD, USER)).toBe(5);
		expect(buffer.size).toBe(4);
		buffer.applied(batch);
		expect(buffer.pending(GUILD, USER)).toBe(1);
		expect(buffer.sealed).toHaveLength(0);
	});

	it('GIVEN two seals THEN each batch has its own id, nothing is sealed twice and an empty buffer seals to null', () => {
		const buffer = new AwardBuffer(100);
		expect(buffer.seal(0)).toBeNull();
		buffer.add(GUILD, USER, 'message', 1);
		const first = buffer.seal(1)!;
		buffer.add(GUILD, USER, 'message', 1);
		const second = buffer.seal(2)!;
		expect(first.id).not.toBe(second.id);
		expect(first.rows).toHaveLength(1);
		expect(second.rows).toHaveLength(1);
		expect(buffer.sealed.map((b) => b.id)).toEqual([first.id, second.id]);
	});

	it('GIVEN rows that cancel out THEN they are left out of the batch', () => {
		const buffer = new AwardBuffer(100);
		buffer.add(GUILD, USER, 'voice', 2);
		buffer.add(GUILD, USER, 'voice', -2);
		expect(buffer.seal(0)?.rows).toEqual([]);
	});

	it('GIVEN a full buffer THEN a new key is refused and counted, an existing key still aggregates', () => {
		const buffer = new AwardBuffer(2);
		expect(buffer.add(GUILD, 'u1', 'message', 1)).toBe(true);
		expect(buffer.add(GUILD, 'u2', 'message', 1)).toBe(true);
		expect(buffer.add(GUILD, 'u3', 'message', 7)).toBe(false);
		expect(buffer.add(GUILD, 'u1', 'message', 1)).toBe(true);
		expect(buffer.droppedPoints).toBe(7);
		expect(buffer.droppedEvents).toBe(1);
		// Sealed batches awaiting a retry still count against the bound.
		buffer.seal(0);
		expect(buffer.add(GUILD, 'u4', 'message', 1)).toBe(false);
		expect(buffer.pending(GUILD, 'u1')).toBe(2);
	});

	it('GIVEN voice checkpoints THEN the latest per member is sealed, even with no points', () => {
		const buffer = new AwardBuffer(10);
		const at = (ms: number) => ({ guildId: GUILD, userId: USER, channelId: CHANNEL, creditedUntil: new Date(ms), remainderMs: ms });
		buffer.checkpoint(at(1));
		buffer.checkpoint(at(2));
		const batch = buffer.seal(0)!;
		expect(batch.rows).toEqual([]);
		expect(batch.voice).toEqual([at(2)]);
	});
});

describe('render: leaderboard buttons', () => {
	it('GIVEN a button of this server THEN its page is read back', () => {
		expect(parseLeaderboardCustomId(leaderboardCustomId(GUILD, 3), GUILD)).toEqual({ page: 3 });
		expect(parseLeaderboardCustomId('mileage-other:1', GUILD)).toBeNull();
	});

	it('GIVEN a button made in another server, before page 1 or malformed THEN it is refused with an identifier', () => {
		expect(identifierOf(() => parseLeaderboardCustomId(leaderboardCustomId(OTHER_GUILD, 2), GUILD))).toBe(
			MileageIdentifiers.ForeignLeaderboard
		);
		expect(identifierOf(() => parseLeaderboardCustomId(leaderboardCustomId(GUILD, 2), null))).toBe(MileageIdentifiers.ForeignLeaderboard);
		expect(identifierOf(() => parseLeaderboardCustomId(leaderboardCustomId(GUILD, 0), GUILD))).toBe(MileageIdentifiers.InvalidPage);
		expect(identifierOf(() => parseLeaderboardCustomId('mileage.lb:x:1', GUILD))).toBe(MileageIdentifiers.InvalidPage);
	});

	it('GIVEN the first, a middle and the last page THEN Previous and Next are disabled exactly at the ends', () => {
		const buttons = (page: number, pages: number) =>
			leaderboardMessage(GUILD, 'Guild', { page, pages, members: pages * 10, entries: [] }).components[0]!.toJSON().components as {
				custom_id: string;
				disabled?: boolean;
			}[];
		expect(buttons(1, 3).map((b) => b.disabled)).toEqual([true, false]);
		expect(buttons(2, 3).map((b) => b.disabled)).toEqual([false, false]);
		expect(buttons(3, 3).map((b) => b.disabled)).toEqual([false, true]);
		expect(buttons(1, 1).map((b) => b.disabled)).toEqual([true, true]);
		expect(buttons(2, 3).map((b) => b.custom_id)).toEqual([leaderboardCustomId(GUILD, 1), leaderboardCustomId(GUILD, 3)]);
	});

	it('GIVEN entries THEN each line carries rank, member and points; no page shows a placeholder', () => {
		const message = leaderboardMessage(GUILD, 'Guild', {
			page: 1,
			pages: 1,
			members: 2,
			entries: [
				{ userId: 'a', points: 1_500, rank: 1 },
				{ userId: 'b', points: 1_500, rank: 1 }
			]
		});
		expect(message.embeds[0]!.toJSON().description).toBe('**#1** <@a> — 1,500 points\n**#1** <@b> — 1,500 points');
		expect(message.allowedMentions).toEqual({ parse: [] });
		const empty = leaderboardMessage(GUILD, 'Guild', { page: 1, pages: 1, members: 0, entries: [] });
		expect(empty.embeds[0]!.toJSON().description).toBe('Nobody has any points yet.');
	});
});

describe('render: standing, history and tiers', () => {
	it('GIVEN unflushed points THEN the standing says so; an unranked member is shown as such', () => {
		const embed = standingEmbed(USER, { points: 12, rank: null, pending: 2 }).toJSON();
		expect(embed.description).toBe(`<@${USER}> has **12** points · rank not ranked yet`);
		expect(embed.footer?.text).toBe('+2 of them are still being saved');
		expect(standingEmbed(USER, { points: 1_234, rank: 3, pending: 0 }).toJSON().footer).toBeUndefined();
	});

	it('GIVEN a reversed entry and its reversal THEN the lines show ids, deltas, notes and the link', () => {
		const entry: LedgerEntry = {
			id: 7,
			guildId: GUILD,
			userId: USER,
			delta: 25,
			reason: 'adjust',
			actorId: 'admin',
			note: 'helped',
			reversesEventId: null,
			reversedByEventId: 8,
			createdAt: new Date(1_700_000_000_000)
		};
		expect(historyLine(entry)).toBe('~~`#7` **+25** adjusted — “helped” by <@admin> · <t:1700000000:R>~~ · reversed by #8');
		const reversal: LedgerEntry = {
			...entry,
			id: 8,
			delta: -25,
			reason: 'reversal',
			note: 'oops',
			reversesEventId: 7,
			reversedByEventId: null
		};
		expect(historyLine(reversal)).toBe('`#8` **-25** reversal of #7 — “oops” by <@admin> · <t:1700000000:R>');
	});

	it('GIVEN a tier with a problem THEN the list says why its role cannot be assigned', () => {
		const text = tierListEmbed([
			{ id: 1, name: 'Bronze', threshold: 10, roleId: 'r1', problem: null },
			{ id: 2, name: 'Gold', threshold: 1_000, roleId: 'r2', problem: "the bot's highest role must be above @Gold" }
		]).toJSON().description;
		expect(text).toBe(
			"`#1` **Bronze** — 10 points → <@&r1>\n`#2` **Gold** — 1,000 points → <@&r2>\n⚠️ cannot be assigned: the bot's highest role must be above @Gold"
		);
		expect(tierListEmbed([]).toJSON().description).toContain('No tiers yet');
	});
});

describe('render: progress', () => {
	it('GIVEN progress THEN it reads as done / total with a percentage', () => {
		expect(progressText(1_000, 4_000)).toBe('1,000 / 4,000 (25%)');
		expect(progressText(0, 0)).toBe('0 / 0 (100%)');
	});

	it('GIVEN frequent progress THEN reports are throttled but the first and the last always go out', async () => {
		let now = 0;
		const seen: string[] = [];
		const progress = throttleProgress(
			async (done, total) => void seen.push(`${done}/${total}`),
			1_000,
			() => now
		);
		for (const done of [1, 2, 3]) await progress(done, 10);
		now = 1_000;
		await progress(4, 10);
		now = 1_200;
		await progress(10, 10);
		expect(seen).toEqual(['1/10', '4/10', '10/10']);
	});
});

describe('service: a full award buffer', () => {
	it('GIVEN the key bound reached THEN points of new keys are dropped, counted in the metric and logged loudly — once, not per event', async () => {
		const { default: pino } = await import('pino');
		const { register } = await import('prom-client');
		const { MileageService } = await import('../../../src/plugins/mileage/lib/service.ts');
		const lines: string[] = [];
		const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
		// No flush runs here, so the database is never touched.
		const service = new MileageService(null as never, logger, { spillDir: '/nonexistent', maxKeys: 2, flushAtKeys: 1_000 });
		const metric = async () => (await register.getSingleMetric('facet_mileage_dropped_points_total')!.get()).values[0]?.value ?? 0;
		const before = await metric();
		service.award('1', 'a', 'message', 1);
		service.award('1', 'b', 'message', 1);
		service.award('1', 'a', 'message', 1);
		for (let i = 0; i < 5; i++) service.award('1', `new${i}`, 'message', 3);
		expect(service.buffer.pending('1', 'a')).toBe(2);
		expect(service.buffer.droppedPoints).toBe(15);
		expect((await metric()) - before).toBe(15);
		const loud = lines.filter((line) => line.includes('mileage buffer full'));
		expect(loud).toHaveLength(1);
		expect(JSON.parse(loud[0]!).level).toBe(50);
	});
});
