import { z } from 'zod';
import { fieldErrorsOf } from '../../../../core/errors.ts';
import { snowflake, text } from '../../../../core/input.ts';
import { MESSAGE_MAX } from './render.ts';
import { EVERY_DAY, isValidTimeZone, maskOf, parseTimeOfDay, parseWeekdays, WEEKDAYS } from './schedule.ts';

/** Most prompts one rotating post may hold. */
export const MAX_PROMPTS = 100;
/** Longest grace window a post may have: a run later than this is no longer "today's" post. */
export const MAX_GRACE_MINUTES = 720;
/** Grace window for a late post after downtime, unless the post sets its own. */
export const DEFAULT_GRACE_MINUTES = 120;

/** A message or a prompt: the core's text checks (no NUL or control characters), within Discord's limit. */
const Text = text({ max: MESSAGE_MAX, multiline: true });

/**
 * A new daily post, as the API takes it (`POST /dailies/guilds/:guild/posts`) and the command builds it: one schema,
 * so both refuse the same input with the same field errors. Give exactly one of `message` and `prompts`.
 */
export const PostInput = z
	.strictObject({
		time: z.string().refine((time) => parseTimeOfDay(time) !== null, 'must be a time of day as HH:MM (24-hour), e.g. 09:30'),
		message: Text.optional(),
		prompts: z.array(Text).min(1, 'must list at least one prompt').max(MAX_PROMPTS, `must list at most ${MAX_PROMPTS} prompts`).optional(),
		/** Weekday names (`['mon', 'fri']`) or the text form the command takes (`mon-fri`, `weekends`). */
		weekdays: z
			.union([z.array(z.enum(WEEKDAYS)).min(1, 'must name at least one weekday'), z.string()])
			.refine(
				(days) => (typeof days === 'string' ? parseWeekdays(days) : maskOf(days)) !== null,
				'must be weekdays such as mon,wed,fri, mon-fri, weekdays, weekends or daily'
			)
			.optional(),
		/** Where to post; null or absent → the guild's daily channel at the time of each post. */
		channelId: snowflake.nullable().optional(),
		/** The post's own IANA time zone; null or absent → the guild's. */
		timeZone: z
			.string()
			.refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin or America/New_York')
			.nullable()
			.optional(),
		/** After downtime: `late` posts within the grace window, `skip` never posts late. */
		missedPolicy: z.enum(['late', 'skip']).optional(),
		graceMinutes: z
			.number()
			.int('must be a whole number of minutes')
			.min(0)
			.max(MAX_GRACE_MINUTES, `must be at most ${MAX_GRACE_MINUTES}`)
			.optional(),
		enabled: z.boolean().optional()
	})
	.superRefine((input, context) => {
		if ((input.message === undefined) === (input.prompts === undefined)) {
			context.addIssue({ code: 'custom', path: ['message'], message: 'give either a message or a list of prompts (exactly one)' });
		}
	});

/** A {@link PostInput} as sent. */
export type PostInput = z.input<typeof PostInput>;

/** A validated post, normalised for storage. */
export interface PostSpec {
	minuteOfDay: number;
	weekdays: number;
	message: string | null;
	prompts: string[] | null;
	channelId: string | null;
	timeZone: string | null;
	missedPolicy: 'late' | 'skip';
	graceMinutes: number;
	enabled: boolean;
}

/** Field path → messages. */
export type PostFieldErrors = Record<string, string[]>;

/** Validates and normalises a post; field errors name what is wrong. */
export function parsePostInput(raw: unknown): { ok: true; spec: PostSpec } | { ok: false; fields: PostFieldErrors } {
	const parsed = PostInput.safeParse(raw);
	if (!parsed.success) return { ok: false, fields: fieldErrorsOf(parsed.error) };
	const input = parsed.data;
	const weekdays =
		input.weekdays === undefined
			? EVERY_DAY
			: typeof input.weekdays === 'string'
				? parseWeekdays(input.weekdays)!
				: maskOf(input.weekdays)!;
	return {
		ok: true,
		spec: {
			minuteOfDay: parseTimeOfDay(input.time)!,
			weekdays,
			message: input.message ?? null,
			prompts: input.prompts ?? null,
			channelId: input.channelId ?? null,
			timeZone: input.timeZone ?? null,
			missedPolicy: input.missedPolicy ?? 'late',
			graceMinutes: input.graceMinutes ?? DEFAULT_GRACE_MINUTES,
			enabled: input.enabled ?? true
		}
	};
}

/** Splits the command's `prompts` option (`first | second | third`) into prompts. */
export function splitPrompts(text: string): string[] {
	return text.split('|').map((prompt) => prompt.trim());
}

/** `PATCH …/posts/:post`: switch a post off or on. */
export const PostSwitch = z.strictObject({ enabled: z.boolean() });
