import { z } from 'zod';
import type { FieldErrors } from './errors.ts';

/*
 * The one place text and numbers from outside are checked: API bodies (the body step runs `jsonInputProblems` on
 * every JSON body and `textProblem` on every text body), command options (the `CoreInput` precondition runs
 * `commandOptionProblems`), and field schemas (`text()`, `snowflake`, `safeInt()`). What passes here can be stored:
 * PostgreSQL refuses NUL in text and JSONB, unpaired surrogates in JSONB, and numbers beyond its column types.
 */

/** Deepest nesting a JSON body may have (the dashboard's deepest body has 3 levels). */
export const MAX_JSON_DEPTH = 32;

/** Most field errors one refusal lists (a hostile body could otherwise make the answer huge). */
const MAX_PROBLEMS = 20;

/** Discord's own limit on a string option; Facet's commands declare lower ones. */
export const MAX_OPTION_LENGTH = 6_000;

/** Largest id Discord can issue (ids are unsigned 64-bit). */
const MAX_SNOWFLAKE = 18_446_744_073_709_551_615n;

/** Largest value of a PostgreSQL `integer` column. */
export const PG_INT_MAX = 2_147_483_647;

// C0 controls other than tab, line feed and carriage return, and DEL. NUL is reported on its own: it is the one
// PostgreSQL refuses outright, and the message should say so.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const LINE_BREAK_OR_TAB = /[\t\n\r]/;

/** How a piece of text may look. */
export interface TextRules {
	/** Most characters (UTF-16 code units, as Discord counts). */
	max?: number;
	/** Whether tab, line feed and carriage return are allowed. @default true */
	multiline?: boolean;
}

/** Why a string cannot be stored or shown, or null when it can. */
export function textProblem(value: string, { max, multiline = true }: TextRules = {}): string | null {
	if (value.includes('\u0000')) return 'must not contain NUL characters';
	if (CONTROL.test(value)) return 'must not contain control characters';
	if (!multiline && LINE_BREAK_OR_TAB.test(value)) return 'must be a single line';
	if (!value.isWellFormed()) return 'must be valid Unicode (it has an unpaired surrogate)';
	if (max !== undefined && value.length > max) return `must be at most ${max} characters`;
	return null;
}

/**
 * A text field: trimmed, `min`..`max` characters, no NUL or control characters (single-line unless `multiline`).
 * @example const Reason = text({ max: 200 });
 */
export function text({ min = 1, max, multiline = false }: { min?: number; max: number; multiline?: boolean }) {
	return z
		.string()
		.trim()
		.min(min, min === 1 ? 'is required' : `must be at least ${min} characters`)
		.max(max, `must be at most ${max} characters`)
		.superRefine((value, ctx) => {
			const problem = textProblem(value, { multiline });
			if (problem) ctx.addIssue({ code: 'custom', message: problem });
		});
}

/** True for a Discord id: 17 to 20 digits, within 64 bits. */
export function isSnowflake(value: unknown): value is string {
	return typeof value === 'string' && /^\d{17,20}$/.test(value) && BigInt(value) <= MAX_SNOWFLAKE;
}

/** A Discord id in a body, a query or settings. */
export const snowflake = z.string().refine(isSnowflake, 'must be a Discord id (17 to 20 digits, within 64 bits)');

/** A whole number in `min`..`max` (which default to the range JavaScript represents exactly, ±(2^53 − 1)). */
export function safeInt(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
	return z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
}

/** Why a number cannot be taken at face value, or null: integers beyond ±(2^53 − 1) are already rounded. */
export function numberProblem(value: number): string | null {
	if (!Number.isFinite(value)) return 'must be a finite number';
	if (Number.isInteger(value) && !Number.isSafeInteger(value))
		return `must be between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
	return null;
}

function add(fields: FieldErrors, path: string, message: string): void {
	// Own keys only: a path can be `__proto__`, which a plain lookup would answer with Object.prototype.
	const messages = Object.hasOwn(fields, path) ? fields[path]! : [];
	if (!messages.includes(message)) messages.push(message);
	Object.defineProperty(fields, path, { value: messages, enumerable: true, writable: true, configurable: true });
}

/**
 * Problems of a parsed JSON body that no route may accept, by field path: nesting past {@link MAX_JSON_DEPTH},
 * NUL, control characters or unpaired surrogates in any string or key, unsafe integers, and `__proto__` keys
 * (validation copies bodies by assignment, where such a key would silently set the prototype). Iterative, so a
 * body nested 5,000 levels deep is answered, not a stack overflow. Null when there are none.
 */
export function jsonInputProblems(value: unknown): FieldErrors | null {
	const fields: FieldErrors = {};
	let count = 0;
	const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
	while (stack.length > 0 && count < MAX_PROBLEMS) {
		const { value: current, path } = stack.pop()!;
		const at = path.join('.');
		if (typeof current === 'string' || typeof current === 'number') {
			const problem = typeof current === 'string' ? textProblem(current) : numberProblem(current);
			if (problem) {
				add(fields, at, problem);
				count++;
			}
		} else if (current !== null && typeof current === 'object') {
			if (path.length >= MAX_JSON_DEPTH) {
				add(fields, at, `is nested too deeply (at most ${MAX_JSON_DEPTH} levels)`);
				count++;
				continue;
			}
			for (const key of Object.keys(current)) {
				const keyPath = [...path, key];
				const problem = key === '__proto__' ? '"__proto__" is not an allowed key' : textProblem(key);
				if (problem) {
					add(fields, keyPath.join('.'), problem);
					count++;
					continue;
				}
				stack.push({ value: (current as Record<string, unknown>)[key], path: keyPath });
			}
		}
	}
	return count > 0 ? fields : null;
}

/** A command option as discord.js hands it over (only what the check reads). */
export interface OptionInput {
	name: string;
	type: number;
	value?: unknown;
	options?: readonly OptionInput[];
}

/** Discord's option types that carry text or numbers. */
const STRING_OPTION = 3;
const INTEGER_OPTION = 4;
const NUMBER_OPTION = 10;

/**
 * Problems of a command's options, by option name (subcommands walked): text as in API bodies (within Discord's
 * 6,000 characters), integers within ±(2^53 − 1), finite numbers. Null when there are none.
 */
export function commandOptionProblems(options: readonly OptionInput[]): FieldErrors | null {
	const fields: FieldErrors = {};
	const stack = [...options];
	while (stack.length > 0) {
		const option = stack.pop()!;
		if (option.options) stack.push(...option.options);
		let problem: string | null = null;
		if (option.type === STRING_OPTION && typeof option.value === 'string') {
			problem = textProblem(option.value, { max: MAX_OPTION_LENGTH });
		} else if (option.type === INTEGER_OPTION || option.type === NUMBER_OPTION) {
			const value = Number(option.value);
			problem = numberProblem(value) ?? (option.type === INTEGER_OPTION && !Number.isInteger(value) ? 'must be a whole number' : null);
		}
		if (problem) add(fields, option.name, problem);
	}
	return Object.keys(fields).length > 0 ? fields : null;
}
