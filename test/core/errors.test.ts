import { describe, expect, it } from 'vitest';
import {
	CoreErrors,
	declaredIdentifiers,
	deliverError,
	type ErrorReplyTarget,
	FacetError,
	FieldError,
	renderErrorBody,
	renderErrorText,
	truncate
} from '../../src/core/errors.ts';
import { commandOptionProblems, jsonInputProblems, textProblem } from '../../src/core/input.ts';
import { MileageError, MileageErrors, MileageIdentifiers } from '../../src/plugins/mileage/lib/errors.ts';

describe('one error vocabulary', () => {
	it('GIVEN every identifier the core and the plugins declare THEN all are snake_case, and the API keeps its wire names', () => {
		expect(Object.keys(MileageErrors).length).toBeGreaterThan(0);
		const all = declaredIdentifiers();
		expect(all).toEqual(expect.arrayContaining([...Object.keys(CoreErrors), ...Object.keys(MileageErrors)]));
		expect(all.filter((identifier) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(identifier))).toEqual([]);
		expect(CoreErrors).toMatchObject({ plugin_disabled: 409, invalid_body: 400, internal_error: 500, service_unavailable: 503 });
	});

	it('GIVEN one error THEN it renders as a command reply and as an API body with the status its identifier implies', () => {
		const error = new MileageError(MileageIdentifiers.AlreadyReversed, 'Event #3 was already reversed.', { eventId: 3 });
		expect(error).toBeInstanceOf(FacetError);
		expect(renderErrorText(error)).toBe('Event #3 was already reversed.');
		expect(renderErrorBody(error)).toEqual({
			status: 409,
			body: { error: 'mileage_already_reversed', message: 'Event #3 was already reversed.', context: { eventId: 3 } },
			bug: false
		});
		const fields = new FieldError({ name: ['is required'] });
		expect(renderErrorBody(fields)).toMatchObject({ status: 400, body: { error: 'invalid_body', fields: { name: ['is required'] } } });
	});

	it('GIVEN a bug, or a dependency that is down THEN 500 internal_error (no message), or 503 service_unavailable', () => {
		expect(renderErrorBody(new TypeError('x is undefined'))).toEqual({ status: 500, body: { error: 'internal_error' }, bug: true });
		expect(renderErrorText(new TypeError('x is undefined'))).not.toContain('undefined');
		const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
		expect(renderErrorBody(refused)).toMatchObject({ status: 503, body: { error: 'service_unavailable' }, bug: false });
		// Anything else that carries an identifier and a status renders as itself (the database's own error class).
		const custom = Object.assign(new Error('The database is unreachable.'), { identifier: 'service_unavailable', status: 503 });
		expect(renderErrorBody(custom)).toMatchObject({
			status: 503,
			body: { error: 'service_unavailable', message: 'The database is unreachable.' }
		});
	});

	it('GIVEN an error whose message echoes 6,000 characters THEN the text is cut to Discord’s 2,000', () => {
		const text = renderErrorText(new FacetError('unknown_plugin', `There is no plugin named "${'x'.repeat(6_000)}".`));
		expect(text.length).toBe(2_000);
		expect(text.endsWith('…')).toBe(true);
		expect(truncate(`${'a'.repeat(1_998)}😀`, 2_000)).toBe(`${'a'.repeat(1_998)}😀`);
		expect(truncate(`${'a'.repeat(1_998)}😀b`, 2_000)).toBe(`${'a'.repeat(1_998)}…`);
	});

	it('GIVEN an error reply Discord refuses THEN the failure is logged with the piece and guild, not swallowed', async () => {
		const logged: { object: Record<string, unknown>; message: string }[] = [];
		const interaction: ErrorReplyTarget = {
			deferred: false,
			replied: false,
			guildId: '100000000000000100',
			user: { id: '100000000000000011' },
			reply: () => Promise.reject(Object.assign(new Error('Invalid Form Body'), { code: 50035 })),
			editReply: () => Promise.resolve(),
			followUp: () => Promise.resolve()
		};
		await deliverError(interaction, new FacetError('unknown_plugin', 'nope'), {
			piece: 'plugins',
			logger: { error: (object, message) => logged.push({ object: object as Record<string, unknown>, message }) }
		});
		expect(logged).toMatchObject([
			{
				message: 'could not deliver an error reply',
				object: { piece: 'plugins', guildId: '100000000000000100', identifier: 'unknown_plugin' }
			}
		]);
	});
});

describe('shared input checks', () => {
	it('GIVEN text THEN NUL, control characters, unpaired surrogates and length are refused; tabs and line breaks pass', () => {
		expect(textProblem('a\u0000b')).toBe('must not contain NUL characters');
		expect(textProblem('a\u001bb')).toBe('must not contain control characters');
		expect(textProblem('a\ud800')).toMatch(/unpaired surrogate/);
		expect(textProblem('x'.repeat(11), { max: 10 })).toBe('must be at most 10 characters');
		expect(textProblem('line\nbreak\tand tab')).toBeNull();
		expect(textProblem('line\nbreak', { multiline: false })).toBe('must be a single line');
	});

	it('GIVEN a JSON value nested 5,000 levels THEN one field error, no stack overflow; unsafe integers and bad keys are named', () => {
		let deep: unknown = [];
		for (let i = 0; i < 5_000; i++) deep = [deep];
		expect(jsonInputProblems({ a: deep })).toEqual({ [`a${'.0'.repeat(31)}`]: ['is nested too deeply (at most 32 levels)'] });
		expect(jsonInputProblems({ n: 2 ** 53, ok: 2 ** 53 - 1, f: 0.5 })).toEqual({ n: [expect.stringMatching(/^must be between/)] });
		const keys = jsonInputProblems(JSON.parse('{"__proto__":{"x":1},"k\\u0000":1}'));
		expect(Object.entries(keys ?? {})).toEqual([
			['__proto__', ['"__proto__" is not an allowed key']],
			['k\u0000', ['must not contain NUL characters']]
		]);
		expect(jsonInputProblems({ title: 'fine', tags: ['a', 'b'], nested: { n: 3 } })).toBeNull();
	});

	it('GIVEN command options THEN the same rules apply, subcommands walked, named by option', () => {
		expect(
			commandOptionProblems([
				{ name: 'set', type: 2, options: [{ name: 'welcome-message', type: 1, options: [{ name: 'message', type: 3, value: 'a\u0000' }] }] }
			])
		).toEqual({ message: ['must not contain NUL characters'] });
		expect(commandOptionProblems([{ name: 'entry', type: 4, value: 1e300 }])).toEqual({
			entry: [expect.stringMatching(/^must be between/)]
		});
		expect(commandOptionProblems([{ name: 'entry', type: 4, value: 12 }])).toBeNull();
	});
});
