import { describe, expect, it } from 'vitest';
import { parsePostInput } from '../../../src/plugins/dailies/lib/posts/input.ts';
import { renderPost } from '../../../src/plugins/dailies/lib/posts/render.ts';
import { advanceRotation, currentPrompt, startRotation } from '../../../src/plugins/dailies/lib/posts/rotation.ts';
import {
	addDays,
	EVERY_DAY,
	formatLocal,
	isValidTimeZone,
	localDateOf,
	nextOccurrence,
	type Occurrence,
	occurrencesBetween,
	type PostRule,
	parseTimeOfDay,
	parseWeekdays,
	weekdayNames,
	zonedInstant
} from '../../../src/plugins/dailies/lib/posts/schedule.ts';

// Pure schedule functions on a fake clock: no Discord, no database. 2026's DST changes:
// Europe/Berlin +1→+2 on Sun 29 Mar at 02:00, +2→+1 on Sun 25 Oct at 03:00;
// America/New_York −5→−4 on Sun 8 Mar at 02:00, −4→−5 on Sun 1 Nov at 02:00.

const iso = (date: Date) => date.toISOString();
const MINUTE = 60_000;

/** Steps a fake clock minute by minute from `start` to `end`, collecting what each tick finds due since the last. */
function drive(rule: PostRule, start: string, end: string, stepMs = 5 * MINUTE): Occurrence[] {
	const seen: Occurrence[] = [];
	let previous = new Date(start);
	for (let now = previous.getTime() + stepMs; now <= new Date(end).getTime(); now += stepMs) {
		seen.push(...occurrencesBetween(rule, previous, new Date(now)));
		previous = new Date(now);
	}
	return seen;
}

/** The wall clock `HH:MM` of an instant in a zone. */
const wall = (at: Date, timeZone: string) => formatLocal(at, timeZone).split(' ')[2];

describe('daily post times across DST', () => {
	for (const [timeZone, spring, fall] of [
		['Europe/Berlin', '2026-03-29', '2026-10-25'],
		['America/New_York', '2026-03-08', '2026-11-01']
	] as const) {
		for (const [direction, day] of [
			['spring forward', spring],
			['fall back', fall]
		] as const) {
			it(`GIVEN 09:00 every day in ${timeZone} around the ${direction} on ${day} THEN a fake clock sees exactly one post per local date, each at 09:00 local`, () => {
				const rule = { minuteOfDay: 9 * 60, weekdays: EVERY_DAY, timeZone };
				const seen = drive(rule, `${addDays(day, -3)}T00:00:00Z`, `${addDays(day, 3)}T23:59:00Z`);
				const dates = seen.map((o) => o.localDate);
				expect(new Set(dates).size).toBe(dates.length);
				expect(dates).toContain(day);
				// Consecutive dates: none skipped.
				for (let i = 1; i < dates.length; i++) expect(Date.parse(dates[i]!) - Date.parse(dates[i - 1]!)).toBe(86_400_000);
				for (const occurrence of seen) {
					expect(wall(occurrence.at, timeZone)).toBe('09:00');
					expect(localDateOf(occurrence.at, timeZone)).toBe(occurrence.localDate);
				}
			});
		}
	}

	it('GIVEN 09:00 in Berlin THEN the UTC instant moves by exactly one hour across each change (never an hour off locally)', () => {
		const at = (date: string) => iso(zonedInstant(date, 9 * 60, 'Europe/Berlin'));
		expect(at('2026-03-28')).toBe('2026-03-28T08:00:00.000Z');
		expect(at('2026-03-29')).toBe('2026-03-29T07:00:00.000Z');
		expect(at('2026-10-24')).toBe('2026-10-24T07:00:00.000Z');
		expect(at('2026-10-25')).toBe('2026-10-25T08:00:00.000Z');
	});

	it('GIVEN 09:00 in New York THEN EST and EDT instants on either side of both changes', () => {
		const at = (date: string) => iso(zonedInstant(date, 9 * 60, 'America/New_York'));
		expect(at('2026-03-07')).toBe('2026-03-07T14:00:00.000Z');
		expect(at('2026-03-08')).toBe('2026-03-08T13:00:00.000Z');
		expect(at('2026-10-31')).toBe('2026-10-31T13:00:00.000Z');
		expect(at('2026-11-01')).toBe('2026-11-01T14:00:00.000Z');
	});

	it('GIVEN a time that does not exist on the spring-forward day THEN it posts at the first valid instant after it (the jump), once', () => {
		// Berlin 02:30 on 29 Mar does not exist: 02:00 CET jumps to 03:00 CEST (01:00Z).
		expect(iso(zonedInstant('2026-03-29', 150, 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
		expect(wall(zonedInstant('2026-03-29', 150, 'Europe/Berlin'), 'Europe/Berlin')).toBe('03:00');
		// New York 02:30 on 8 Mar does not exist: 02:00 EST jumps to 03:00 EDT (07:00Z).
		expect(iso(zonedInstant('2026-03-08', 150, 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
		const seen = drive(
			{ minuteOfDay: 150, weekdays: EVERY_DAY, timeZone: 'Europe/Berlin' },
			'2026-03-27T00:00:00Z',
			'2026-03-31T00:00:00Z'
		);
		expect(seen.map((o) => o.localDate)).toEqual(['2026-03-27', '2026-03-28', '2026-03-29', '2026-03-30']);
		expect(seen.map((o) => wall(o.at, 'Europe/Berlin'))).toEqual(['02:30', '02:30', '03:00', '02:30']);
	});

	it('GIVEN a time that happens twice on the fall-back day THEN it posts at the first occurrence only', () => {
		// Berlin 02:30 on 25 Oct happens at 00:30Z (CEST) and again at 01:30Z (CET).
		expect(iso(zonedInstant('2026-10-25', 150, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
		// New York 01:30 on 1 Nov happens at 05:30Z (EDT) and 06:30Z (EST).
		expect(iso(zonedInstant('2026-11-01', 90, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
		const seen = drive(
			{ minuteOfDay: 90, weekdays: EVERY_DAY, timeZone: 'America/New_York' },
			'2026-10-31T00:00:00Z',
			'2026-11-03T00:00:00Z'
		);
		expect(seen.map((o) => o.localDate)).toEqual(['2026-10-31', '2026-11-01', '2026-11-02']);
		expect(seen.map((o) => iso(o.at))).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
	});

	it('GIVEN the next run asked for just before and just after a change THEN it is the next local 09:00', () => {
		const rule = { minuteOfDay: 9 * 60, weekdays: EVERY_DAY, timeZone: 'Europe/Berlin' };
		expect(iso(nextOccurrence(rule, new Date('2026-03-28T08:00:00Z'))!.at)).toBe('2026-03-29T07:00:00.000Z');
		expect(iso(nextOccurrence(rule, new Date('2026-10-25T01:30:00Z'))!.at)).toBe('2026-10-25T08:00:00.000Z');
	});
});

describe('weekday rules', () => {
	it('GIVEN weekday texts THEN masks: lists, ranges (wrapping), weekdays, weekends, daily; junk is refused', () => {
		expect(weekdayNames(parseWeekdays('mon,wed,fri')!)).toEqual(['mon', 'wed', 'fri']);
		expect(weekdayNames(parseWeekdays('Monday Tuesday')!)).toEqual(['mon', 'tue']);
		expect(weekdayNames(parseWeekdays('mon-fri')!)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
		expect(weekdayNames(parseWeekdays('fri-mon')!)).toEqual(['mon', 'fri', 'sat', 'sun']);
		expect(weekdayNames(parseWeekdays('weekends')!)).toEqual(['sat', 'sun']);
		expect(parseWeekdays('weekdays')).toBe(0b0011111);
		expect(parseWeekdays('daily')).toBe(EVERY_DAY);
		for (const junk of ['funday', 'm', 'mon-xyz', 'mon,,blah', '7']) expect(parseWeekdays(junk), junk).toBeNull();
	});

	it('GIVEN Mon–Fri at 09:00 THEN a fake clock over two weeks posts on the ten weekdays only', () => {
		const rule = { minuteOfDay: 9 * 60, weekdays: parseWeekdays('mon-fri')!, timeZone: 'Europe/Berlin' };
		const seen = drive(rule, '2026-11-30T00:00:00Z', '2026-12-13T23:00:00Z', 10 * MINUTE);
		expect(seen.map((o) => o.localDate)).toEqual([
			'2026-11-30',
			'2026-12-01',
			'2026-12-02',
			'2026-12-03',
			'2026-12-04',
			'2026-12-07',
			'2026-12-08',
			'2026-12-09',
			'2026-12-10',
			'2026-12-11'
		]);
	});

	it('GIVEN a zone far from UTC THEN the weekday is the local one (Monday 08:00 in Auckland is Sunday in UTC)', () => {
		const rule = { minuteOfDay: 8 * 60, weekdays: parseWeekdays('mon')!, timeZone: 'Pacific/Auckland' };
		const next = nextOccurrence(rule, new Date('2026-12-05T00:00:00Z'))!;
		expect(next.localDate).toBe('2026-12-07');
		expect(iso(next.at)).toBe('2026-12-06T19:00:00.000Z');
	});

	it('GIVEN Sat/Sun in New York across the fall-back weekend THEN Saturday and Sunday both post at 09:00 local, nothing on Monday', () => {
		const rule = { minuteOfDay: 9 * 60, weekdays: parseWeekdays('weekends')!, timeZone: 'America/New_York' };
		const seen = drive(rule, '2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z');
		expect(seen.map((o) => [o.localDate, wall(o.at, 'America/New_York')])).toEqual([
			['2026-10-31', '09:00'],
			['2026-11-01', '09:00']
		]);
	});
});

describe('times, zones and input', () => {
	it('GIVEN times of day THEN HH:MM 24-hour only', () => {
		expect(parseTimeOfDay('09:30')).toBe(570);
		expect(parseTimeOfDay('9:05')).toBe(545);
		expect(parseTimeOfDay('23:59')).toBe(1439);
		for (const bad of ['24:00', '9:5', '25:00', 'noon', '', '12:60', '-1:00']) expect(parseTimeOfDay(bad), bad).toBeNull();
	});

	it('GIVEN zone names THEN IANA names are valid and made-up ones are not', () => {
		expect(isValidTimeZone('Europe/Berlin')).toBe(true);
		expect(isValidTimeZone('UTC')).toBe(true);
		expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
		expect(isValidTimeZone('')).toBe(false);
	});

	it('GIVEN bad post input THEN field errors name an invalid time, an invalid zone, empty prompts and a message too long for Discord', () => {
		const fields = (raw: unknown) => {
			const parsed = parsePostInput(raw);
			return parsed.ok ? {} : parsed.fields;
		};
		expect(fields({ time: '25:00', message: 'hi' })).toHaveProperty('time');
		expect(fields({ time: '09:00', message: 'hi', timeZone: 'Mars/Olympus_Mons' })).toHaveProperty('timeZone');
		expect(fields({ time: '09:00', prompts: [] })).toHaveProperty('prompts');
		expect(fields({ time: '09:00', prompts: ['ok', '  '] })).toHaveProperty(['prompts.1']);
		expect(fields({ time: '09:00', message: 'x'.repeat(2001) }).message?.[0]).toMatch(/2000/);
		expect(fields({ time: '09:00', message: 'bad \u0000 text' })).toHaveProperty('message');
		expect(fields({ time: '09:00' })).toHaveProperty('message');
		expect(fields({ time: '09:00', message: 'a', prompts: ['b'] })).toHaveProperty('message');
		expect(fields({ time: '09:00', message: 'hi', weekdays: 'funday' })).toHaveProperty('weekdays');
		const ok = parsePostInput({ time: '7:15', prompts: ['a', 'b'], weekdays: ['mon', 'fri'], timeZone: 'America/New_York' });
		expect(ok).toMatchObject({ ok: true, spec: { minuteOfDay: 435, weekdays: 0b10001, graceMinutes: 120, missedPolicy: 'late' } });
	});
});

describe('rotating prompts', () => {
	/** A seeded generator, so a failure replays. */
	function seeded(seed: number) {
		let state = seed;
		return () => {
			state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
			return state / 2 ** 31;
		};
	}

	it('GIVEN 3 prompts THEN every cycle posts all 3 before any repeats, and a new cycle never starts with the last one', () => {
		for (let seed = 1; seed <= 50; seed++) {
			const random = seeded(seed);
			let state = startRotation(3, random);
			const posted: number[] = [];
			for (let i = 0; i < 30; i++) {
				posted.push(currentPrompt(state, 3, random).index);
				state = advanceRotation(state, 3, random);
			}
			for (let cycle = 0; cycle < 10; cycle++) expect(new Set(posted.slice(cycle * 3, cycle * 3 + 3)).size).toBe(3);
			for (let i = 1; i < posted.length; i++) expect(posted[i]).not.toBe(posted[i - 1]);
		}
	});

	it('GIVEN one renderer THEN a prompt post renders the chosen prompt and a message post its message, with no @everyone pings', () => {
		expect(renderPost({ message: null, prompts: ['a', 'b', 'c'] }, 2)).toEqual({
			content: 'c',
			allowed_mentions: { parse: ['users', 'roles'] }
		});
		expect(renderPost({ message: 'hello @everyone', prompts: null }, null).allowed_mentions?.parse).not.toContain('everyone');
	});
});
