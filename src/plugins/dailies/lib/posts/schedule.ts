/*
 * When a daily post is due: wall-clock time of day in an IANA time zone, on chosen weekdays. Pure functions over
 * instants (`Date`) and calendar dates (`YYYY-MM-DD`), no Discord, no database: unit-tested on a fake clock.
 *
 * DST rules (documented in README-posts.md):
 * - a local time that does not exist on a spring-forward day (Berlin 02:30 on the last Sunday of March) is posted
 *   at the first valid instant after it — the moment the clocks jump (03:00 local), never skipped;
 * - a local time that happens twice on a fall-back day (Berlin 02:30 on the last Sunday of October) is posted at
 *   the first occurrence only (02:30 summer time), never twice.
 * A post is tied to its local calendar date, so a 23 h or 25 h day still gets exactly one post.
 */

/** A calendar date, `YYYY-MM-DD`. */
export type LocalDate = string;

/** Weekday names in ISO order (Monday first); bit `i` of a weekday mask is `WEEKDAYS[i]`. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** One weekday name. */
export type Weekday = (typeof WEEKDAYS)[number];

/** Every day of the week, as a mask. */
export const EVERY_DAY = 0b1111111;

/** When a post is due: minutes after local midnight, a weekday mask and the zone the wall clock is read in. */
export interface PostRule {
	minuteOfDay: number;
	weekdays: number;
	timeZone: string;
}

/** One scheduled run: the local date it belongs to and the instant it is due. */
export interface Occurrence {
	localDate: LocalDate;
	at: Date;
}

const DAY_MS = 86_400_000;

/** Parses `H:MM` / `HH:MM` (24-hour) into minutes after midnight; null when invalid. */
export function parseTimeOfDay(text: string): number | null {
	const match = /^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$/.exec(text);
	if (!match) return null;
	return Number(match[1]) * 60 + Number(match[2]);
}

/** `HH:MM` for minutes after midnight. */
export function formatTimeOfDay(minuteOfDay: number): string {
	return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached `en-US` formatter giving a zone's wall clock as numbers (h23), or throws RangeError for a bad zone. */
function wallFormatter(timeZone: string): Intl.DateTimeFormat {
	let formatter = formatters.get(timeZone);
	if (!formatter) {
		formatter = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric'
		});
		formatters.set(timeZone, formatter);
	}
	return formatter;
}

/** True for a time zone this runtime knows (an IANA name such as `Europe/Berlin`, or `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
	if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
	try {
		wallFormatter(timeZone);
		return true;
	} catch {
		return false;
	}
}

interface Wall {
	year: number;
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
}

/** The wall clock of a zone at an instant. */
function wallAt(instant: number, timeZone: string): Wall {
	const parts = wallFormatter(timeZone).formatToParts(new Date(instant));
	const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((part) => part.type === type)?.value);
	return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** The zone's offset from UTC at an instant, in ms (whole seconds; sub-second parts of the instant ignored). */
function offsetAt(instant: number, timeZone: string): number {
	const wall = wallAt(instant, timeZone);
	const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
	return asUtc - Math.floor(instant / 1000) * 1000;
}

function splitDate(date: LocalDate): [number, number, number] {
	const [year, month, day] = date.split('-').map(Number) as [number, number, number];
	return [year, month, day];
}

/** The calendar date an instant falls on in a zone. */
export function localDateOf(instant: Date, timeZone: string): LocalDate {
	const wall = wallAt(instant.getTime(), timeZone);
	return `${String(wall.year).padStart(4, '0')}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
}

/** A calendar date `days` later (or earlier); plain calendar arithmetic, no zone involved. */
export function addDays(date: LocalDate, days: number): LocalDate {
	const [year, month, day] = splitDate(date);
	return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Index into {@link WEEKDAYS} of a calendar date (0 = Monday). */
export function weekdayIndex(date: LocalDate): number {
	const [year, month, day] = splitDate(date);
	return (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
}

/**
 * The instant a zone's wall clock shows `minuteOfDay` on `date`. A time skipped by a spring-forward change gives
 * the first valid instant after it (the transition itself); a time that happens twice gives the first occurrence.
 */
export function zonedInstant(date: LocalDate, minuteOfDay: number, timeZone: string): Date {
	const key = `${timeZone} ${date} ${minuteOfDay}`;
	let instant = instants.get(key);
	if (instant === undefined) {
		// Every tick asks for the same few dates of every post: remember them (zone rules do not change at run time).
		if (instants.size >= 50_000) instants.clear();
		instant = computeZonedInstant(date, minuteOfDay, timeZone);
		instants.set(key, instant);
	}
	return new Date(instant);
}

const instants = new Map<string, number>();

function computeZonedInstant(date: LocalDate, minuteOfDay: number, timeZone: string): number {
	const [year, month, day] = splitDate(date);
	const wallAsUtc = Date.UTC(year, month - 1, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
	// Offsets in force around that wall time: a day before and after covers every real transition.
	const offsets = new Set([offsetAt(wallAsUtc - DAY_MS, timeZone), offsetAt(wallAsUtc, timeZone), offsetAt(wallAsUtc + DAY_MS, timeZone)]);
	const valid = [...offsets].map((offset) => wallAsUtc - offset).filter((instant) => offsetAt(instant, timeZone) === wallAsUtc - instant);
	if (valid.length > 0) return Math.min(...valid);
	// In a gap: the wall time was skipped. Find the transition between the two offsets by bisection.
	const sorted = [...offsets].sort((a, b) => a - b);
	let before = wallAsUtc - sorted[sorted.length - 1]!; // still on the old (smaller) offset
	let after = wallAsUtc - sorted[0]!; // already on the new one
	const oldOffset = offsetAt(before, timeZone);
	while (after - before > 1000) {
		const middle = before + Math.floor((after - before) / 2000) * 1000;
		if (offsetAt(middle, timeZone) === oldOffset) before = middle;
		else after = middle;
	}
	return after;
}

/** True when the weekday mask includes the date's weekday. */
export function isOnWeekday(weekdays: number, date: LocalDate): boolean {
	return (weekdays & (1 << weekdayIndex(date))) !== 0;
}

/** The occurrences due in `(from, to]`, oldest first. */
export function occurrencesBetween(rule: PostRule, from: Date, to: Date): Occurrence[] {
	if (to.getTime() <= from.getTime()) return [];
	const out: Occurrence[] = [];
	// A day either side: the scheduled instant of a local date can fall on the neighbouring UTC day.
	const last = addDays(localDateOf(to, rule.timeZone), 1);
	for (let date = addDays(localDateOf(from, rule.timeZone), -1); date <= last; date = addDays(date, 1)) {
		if (!isOnWeekday(rule.weekdays, date)) continue;
		const at = zonedInstant(date, rule.minuteOfDay, rule.timeZone);
		if (at.getTime() > from.getTime() && at.getTime() <= to.getTime()) out.push({ localDate: date, at });
	}
	return out;
}

/** The first occurrence strictly after `after`, or null for an empty weekday mask. */
export function nextOccurrence(rule: PostRule, after: Date): Occurrence | null {
	if ((rule.weekdays & EVERY_DAY) === 0) return null;
	const found = occurrencesBetween(rule, after, new Date(after.getTime() + 9 * DAY_MS));
	return found[0] ?? null;
}

/** The next `count` occurrences after `after`. */
export function upcomingOccurrences(rule: PostRule, after: Date, count: number): Occurrence[] {
	const out: Occurrence[] = [];
	let cursor = after;
	while (out.length < count) {
		const next = nextOccurrence(rule, cursor);
		if (!next) break;
		out.push(next);
		cursor = next.at;
	}
	return out;
}

/**
 * Parses weekdays as a person types them: `mon,wed,fri`, ranges `mon-fri`, `weekdays`, `weekends`, `daily` / `every
 * day`; names may be full (`monday`) and any case. Returns a mask, or null when a part is not a weekday.
 */
export function parseWeekdays(text: string): number | null {
	const normalised = text.trim().toLowerCase();
	if (normalised === '' || normalised === 'daily' || normalised === 'every day' || normalised === 'everyday' || normalised === 'all')
		return EVERY_DAY;
	let mask = 0;
	for (const raw of normalised.split(/[\s,;]+/).filter(Boolean)) {
		if (raw === 'weekdays') mask |= 0b0011111;
		else if (raw === 'weekends' || raw === 'weekend') mask |= 0b1100000;
		else if (raw.includes('-')) {
			const [a, b] = raw.split('-');
			const start = dayIndex(a ?? '');
			const end = dayIndex(b ?? '');
			if (start === null || end === null) return null;
			// Wraps around the week: `fri-mon` is Fri, Sat, Sun, Mon.
			for (let i = start; ; i = (i + 1) % 7) {
				mask |= 1 << i;
				if (i === end) break;
			}
		} else {
			const index = dayIndex(raw);
			if (index === null) return null;
			mask |= 1 << index;
		}
	}
	return mask === 0 ? null : mask;
}

function dayIndex(name: string): number | null {
	if (name.length < 2) return null;
	const index = WEEKDAYS.findIndex((day) => day.startsWith(name.slice(0, 3)) && fullName(day).startsWith(name));
	return index === -1 ? null : index;
}

const FULL = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const fullName = (day: Weekday) => FULL[WEEKDAYS.indexOf(day)]!;

/** A mask from weekday names (`['mon', 'fri']`); null when one is not a weekday name or the list is empty. */
export function maskOf(days: readonly string[]): number | null {
	let mask = 0;
	for (const day of days) {
		const index = WEEKDAYS.indexOf(day.toLowerCase() as Weekday);
		if (index === -1) return null;
		mask |= 1 << index;
	}
	return mask === 0 ? null : mask;
}

/** Weekday names of a mask, Monday first. */
export function weekdayNames(mask: number): Weekday[] {
	return WEEKDAYS.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** A mask for people: `every day`, `weekdays`, `weekends` or `Mon, Wed, Fri`. */
export function describeWeekdays(mask: number): string {
	if ((mask & EVERY_DAY) === EVERY_DAY) return 'every day';
	if (mask === 0b0011111) return 'weekdays';
	if (mask === 0b1100000) return 'weekends';
	return weekdayNames(mask)
		.map((day) => day[0]!.toUpperCase() + day.slice(1))
		.join(', ');
}

/** An instant as the zone's wall clock, for people: `Thu 2026-12-03 09:00 (Europe/Berlin)`. */
export function formatLocal(instant: Date, timeZone: string): string {
	const wall = wallAt(instant.getTime(), timeZone);
	const date = localDateOf(instant, timeZone);
	const day = WEEKDAYS[weekdayIndex(date)]!;
	return `${day[0]!.toUpperCase()}${day.slice(1)} ${date} ${formatTimeOfDay(wall.hour * 60 + wall.minute)} (${timeZone})`;
}
