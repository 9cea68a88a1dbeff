import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import type { FormErrors } from '../errors.ts';
// A JSON import, so a build bundles the spec with the code that reads it (a path next to the source would not exist in dist/).
import bundledSpec from '../spec/openapi.json' with { type: 'json' };

/*
 * Request bodies checked against Discord's published OpenAPI spec (src/sandbox/spec, MIT, Discord):
 * the operation's `requestBody` JSON schema is compiled on first use of that operation and cached,
 * and ajv's errors are turned into Discord's 50035 `errors` tree. Response conformance
 * (test/sandbox/openapi.test.ts) reads the same file through `readSpec()`.
 */

interface OpenApiOperation {
	operationId?: string;
	requestBody?: { content?: Record<string, { schema?: unknown }> };
}
type OpenApiSpec = { paths: Record<string, Record<string, OpenApiOperation>>; components: Record<string, Record<string, unknown>> };

/** `DISCORD_OPENAPI_SPEC` points at another copy of the spec (a newer one) instead of the bundled file. */
const SPEC_OVERRIDE = process.env.DISCORD_OPENAPI_SPEC;

/** The spec as parsed JSON: a fresh copy per call, so a caller may adjust it for its own use. */
export function readSpec(): OpenApiSpec {
	if (SPEC_OVERRIDE) return JSON.parse(readFileSync(SPEC_OVERRIDE, 'utf8')) as OpenApiSpec;
	return structuredClone(bundledSpec) as unknown as OpenApiSpec;
}

/**
 * Rewrites the spec for validation:
 * - unions are `oneOf` even where branches overlap (a webhook edit body also matches the execute body),
 *   so valid bodies fail strict `oneOf`: they become `anyOf` (a value must still match one branch completely);
 * - `additionalProperties: false` goes, and only where `requests` is set: Discord ignores unknown body fields
 *   (discord.js sends some the spec omits), it does not refuse them.
 */
export function relaxSpec<T>(node: T, requests: boolean): T {
	const walk = (value: unknown): unknown => {
		if (Array.isArray(value)) return value.map(walk);
		if (typeof value !== 'object' || value === null) return value;
		const out: Record<string, unknown> = {};
		for (const [key, child] of Object.entries(value)) {
			if (requests && key === 'additionalProperties' && child === false) continue;
			out[key === 'oneOf' ? 'anyOf' : key] = walk(child);
		}
		return out;
	};
	return walk(node) as T;
}

/**
 * An Ajv instance with the formats Discord's spec uses. `explain` reports every error with its schema (what
 * turning errors into Discord's tree needs); without it, validation stops at the first error and compiles in
 * about half the time, which is what the emulator pays at start.
 */
export function specAjv(explain = true): Ajv2020 {
	const ajv = explain
		? new Ajv2020({ strict: false, allErrors: true, validateFormats: true, verbose: true })
		: new Ajv2020({ strict: false, allErrors: false, validateFormats: true, code: { optimize: false } });
	// ajv-formats is CommonJS: its function is also exported as `.default`, which is what the types describe.
	formatsPlugin.default(ajv);
	ajv.addFormat('snowflake', /^(0|[1-9][0-9]*)$/);
	ajv.addFormat('nonce', true);
	return ajv;
}

interface Loaded {
	/** The part of the spec requests need: component schemas and each operation's JSON request body. */
	document: object;
	/** Pass/fail validators, compiled at start. */
	fast: Ajv2020;
	/** Validators that explain a failure, made the first time a body fails. */
	full: Ajv2020 | undefined;
	/** operationId → JSON pointer of its application/json request schema. */
	requestRefs: Map<string, string>;
}

let loaded: Loaded | undefined;
const fastValidators = new Map<string, ValidateFunction | null>();
const fullValidators = new Map<string, ValidateFunction | null>();

const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

function load(): Loaded {
	if (loaded) return loaded;
	// Read from the bundled object without copying it: relaxSpec builds new objects. Responses are left out,
	// which halves what ajv has to walk.
	const source = (SPEC_OVERRIDE ? readSpec() : bundledSpec) as unknown as OpenApiSpec;
	const paths: Record<string, Record<string, unknown>> = {};
	const requestRefs = new Map<string, string>();
	for (const [path, methods] of Object.entries(source.paths)) {
		for (const [method, operation] of Object.entries(methods)) {
			const schema = operation?.requestBody?.content?.['application/json']?.schema;
			if (!operation?.operationId || !schema) continue;
			paths[path] = { ...paths[path], [method]: { requestBody: { content: { 'application/json': { schema } } } } };
			requestRefs.set(
				operation.operationId,
				`openapi.json#/${pointer('paths', path, method, 'requestBody', 'content', 'application/json', 'schema')}`
			);
		}
	}
	const document = relaxSpec({ paths, components: { schemas: source.components.schemas } }, true);
	const fast = specAjv(false);
	fast.addSchema(document, 'openapi.json');
	loaded = { document, fast, full: undefined, requestRefs };
	return loaded;
}

/** The explaining Ajv instance, set up on first use. */
function fullAjv(): Ajv2020 {
	const state = load();
	if (!state.full) {
		state.full = specAjv(true);
		state.full.addSchema(state.document, 'openapi.json');
	}
	return state.full;
}

/** The compiled request validator of an operation (`full`: the explaining one), or null when the spec gives it no JSON body. */
function validatorFor(operationId: string, full: boolean): ValidateFunction | null {
	const cache = full ? fullValidators : fastValidators;
	const cached = cache.get(operationId);
	if (cached !== undefined) return cached;
	const { requestRefs } = load();
	const ajv = full ? fullAjv() : load().fast;
	const ref = requestRefs.get(operationId);
	const validate = ref ? ajv.compile({ $ref: ref }) : null;
	cache.set(operationId, validate);
	return validate;
}

let warming: Promise<void> | undefined;

/**
 * Compiles the pass/fail validators of these operations in the background, one per event-loop turn, so the
 * emulator's start does not wait for it and the bot's own start overlaps it (once per process). A request that
 * comes first compiles its own validator on the spot.
 */
export function precompileRequestSchemas(operationIds: Iterable<string>): Promise<void> {
	if (warming) return warming;
	const pending = [...operationIds];
	warming = new Promise<void>((resolve) => {
		const next = () => {
			const id = pending.shift();
			if (id === undefined) return resolve();
			validatorFor(id, false);
			setImmediate(next);
		};
		setImmediate(next);
	});
	return warming;
}

/** True when the spec documents a JSON request body for this operation. */
export function hasRequestSchema(operationId: string): boolean {
	return load().requestRefs.has(operationId);
}

const segmentsOf = (instancePath: string): string[] =>
	instancePath === ''
		? []
		: instancePath
				.slice(1)
				.split('/')
				.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

const isUnder = (path: string, base: string): boolean => path === base || path.startsWith(`${base}/`);

/** A branch schema of the spec compiled on its own: its `#/…` refs point into the spec document. */
function branchValidator(schema: unknown): ValidateFunction {
	const key = JSON.stringify(schema);
	const cached = branchValidators.get(key);
	if (cached) return cached;
	const rebased = JSON.parse(key.replace(/"\$ref":"#\//g, '"$ref":"openapi.json#/'));
	const validate = fullAjv().compile(typeof rebased === 'object' && rebased !== null ? rebased : {});
	branchValidators.set(key, validate);
	return validate;
}
const branchValidators = new Map<string, ValidateFunction>();

/**
 * Discord coerces integer fields from decimal strings (discord.js sends permissions as `"32"`), so a type
 * error for an integer whose value is such a string is no error; nor is an integer given for a snowflake.
 */
function coercible(error: ErrorObject): boolean {
	if (error.keyword !== 'type') return false;
	// Snowflakes likewise from non-negative integers (an attachment's `id` is its upload index, often a number).
	const format = (error.parentSchema as { format?: unknown } | undefined)?.format;
	if (format === 'snowflake' && Number.isSafeInteger(error.data) && (error.data as number) >= 0) return true;
	if (typeof error.data !== 'string' || !/^-?[0-9]{1,20}$/.test(error.data)) return false;
	const type = error.params.type;
	return Array.isArray(type) ? type.includes('integer') : String(type).split(',').includes('integer');
}

/** How well a value fits a union branch it failed: 0 = wrong kind (its type or `type` discriminator differs). */
function branchFit(errors: ErrorObject[]): number {
	const wrongKind = errors.some(
		(e) =>
			(e.instancePath === '' && e.keyword === 'type') || (e.instancePath === '/type' && (e.keyword === 'enum' || e.keyword === 'const'))
	);
	const deepest = Math.max(0, ...errors.map((e) => e.instancePath.length));
	return (wrongKind ? 0 : 1_000_000) - errors.length * 1000 + deepest;
}

/**
 * Explains a failed validation with the errors Discord would name. ajv reports every branch of a failed
 * union; only the branch the value was meant for counts: the one whose type and `type` discriminator
 * matched and that got furthest into the value. A union where no branch took the value's type is one
 * type error at its path. Paths are prefixed with `base` (the union's own path).
 */
function explain(all: readonly ErrorObject[], base: string): ErrorObject[] {
	let out: ErrorObject[] = [];
	for (const error of all.filter((e) => !coercible(e))) {
		if (error.keyword !== 'anyOf') {
			out.push({ ...error, instancePath: base + error.instancePath });
			continue;
		}
		const at = base + error.instancePath;
		// Errors reported before a union under its value are its branches' errors.
		out = out.filter((e) => !isUnder(e.instancePath, at));
		const branches = Array.isArray(error.schema) ? error.schema : [];
		let best: ErrorObject[] | undefined;
		const types: string[] = [];
		const branchKinds: number[] = [];
		let branchCount = 0;
		let kindBranches = 0;
		for (const branch of branches) {
			const validate = branchValidator(branch);
			branchCount++;
			if (validate(error.data)) continue;
			const kind = validate.errors?.find((e) => e.instancePath === '/type' && e.keyword === 'enum');
			const allowed = kind?.params.allowedValues;
			if (Array.isArray(allowed) && typeof allowed[0] === 'number') {
				branchKinds.push(...(allowed as number[]));
				kindBranches++;
			}
			const list = (validate.errors ?? []).filter((e) => !coercible(e));
			if (list.length === 0) {
				// Only a coercible integer string kept this branch from matching: the union is satisfied.
				best = [];
				break;
			}
			for (const e of list) if (e.instancePath === '' && e.keyword === 'type') types.push(String(e.params.type));
			if (!best || branchFit(list) > branchFit(best)) best = list;
		}
		if (!best || best.length === 0) continue;
		// Every branch wants another `type`: name them all, as Discord lists a field's choices.
		const kinds = [...new Set(branchKinds)];
		if (branchFit(best) < 1_000_000 && kinds.length > 1 && kindBranches === branchCount) {
			out.push({ ...error, instancePath: `${at}/type`, keyword: 'enum', params: { allowedValues: kinds.sort((a, b) => a - b) } });
			continue;
		}
		if (branchFit(best) < 1_000_000 && best.every((e) => e.instancePath === '' && e.keyword === 'type')) {
			out.push({ ...error, instancePath: at, keyword: 'type', params: { type: types.find((t) => t !== 'null') ?? 'object' } });
		} else out.push(...explain(best, at));
	}
	return out;
}

function describe(value: unknown): string {
	return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Fields Discord words its own way. */
function specialError(path: string[], keyword: string): { path: string[]; code: string; message: string } | null {
	if (path.length !== 1 || path[0] !== 'nonce') return null;
	if (keyword === 'maxLength') return { path, code: 'NONCE_TYPE_TOO_LONG', message: 'Must be 25 or fewer characters long.' };
	return { path, code: 'NONCE_TYPE_INVALID_TYPE', message: 'This field must be a string or integer.' };
}

/** One ajv error in Discord's words (`{code, message}`), or null for errors that only explain another. */
function discordError(error: ErrorObject, value: unknown): { path: string[]; code: string; message: string } | null {
	const path = segmentsOf(error.instancePath);
	const special = specialError(path, error.keyword);
	if (special) return special;
	const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
	const p = error.params as Record<string, unknown>;
	switch (error.keyword) {
		case 'required':
			return { path: [...path, String(p.missingProperty)], code: 'BASE_TYPE_REQUIRED', message: 'This field is required' };
		case 'type': {
			const type = String(Array.isArray(p.type) ? (p.type as string[]).find((t) => t !== 'null') : p.type);
			if (type === 'string') return { path, code: 'STRING_TYPE_CONVERT', message: `Could not interpret "${describe(value)}" as string.` };
			if (type === 'integer') return { path, code: 'NUMBER_TYPE_COERCE', message: `Value "${describe(value)}" is not int.` };
			if (type === 'number') return { path, code: 'NUMBER_TYPE_COERCE', message: `Value "${describe(value)}" is not a valid number.` };
			if (type === 'boolean') return { path, code: 'BOOLEAN_TYPE_CONVERT', message: 'Must be either true or false.' };
			if (type === 'array') return { path, code: 'LIST_TYPE_CONVERT', message: 'Only iterables may be used in a ListType' };
			return { path, code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' };
		}
		case 'maxLength':
		case 'minLength':
		case 'maxItems':
		case 'minItems': {
			const items = error.keyword.endsWith('Items');
			const min = schema[items ? 'minItems' : 'minLength'] as number | undefined;
			const max = schema[items ? 'maxItems' : 'maxLength'] as number | undefined;
			if (min !== undefined && max !== undefined && min > 0)
				return { path, code: 'BASE_TYPE_BAD_LENGTH', message: `Must be between ${min} and ${max} in length.` };
			if (error.keyword.startsWith('max')) return { path, code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
			return { path, code: 'BASE_TYPE_MIN_LENGTH', message: `Must be ${min} or more in length.` };
		}
		case 'maximum':
		case 'minimum':
		case 'exclusiveMaximum':
		case 'exclusiveMinimum': {
			const max = schema.maximum ?? schema.exclusiveMaximum;
			const min = schema.minimum ?? schema.exclusiveMinimum;
			const code = error.keyword.toLowerCase().includes('max') ? 'NUMBER_TYPE_MAX' : 'NUMBER_TYPE_MIN';
			const kind = schema.type === 'number' ? 'float' : 'int';
			if (max !== undefined && min !== undefined)
				return { path, code, message: `${kind} value should be less than or equal to ${max} and greater than or equal to ${min}.` };
			return max !== undefined
				? { path, code, message: `${kind} value should be less than or equal to ${max}.` }
				: { path, code, message: `${kind} value should be greater than or equal to ${min}.` };
		}
		case 'enum':
		case 'const': {
			const allowed = (error.keyword === 'enum' ? (p.allowedValues as unknown[]) : [p.allowedValue]).map(describe).join(', ');
			return { path, code: 'BASE_TYPE_CHOICES', message: `Value must be one of {${allowed}}.` };
		}
		case 'format': {
			const format = String(p.format);
			if (format === 'snowflake' || format === 'int64')
				return { path, code: 'NUMBER_TYPE_COERCE', message: `Value "${describe(value)}" is not snowflake.` };
			if (format === 'uri') return { path, code: 'URL_TYPE_INVALID_URL', message: 'Not a well formed URL.' };
			if (format === 'date-time')
				return { path, code: 'DATE_TYPE_PARSE', message: `Could not parse ${describe(value)}. Should be ISO8601.` };
			return { path, code: 'BASE_TYPE_INVALID', message: `Value is not a valid ${format}.` };
		}
		case 'pattern':
			return { path, code: 'STRING_TYPE_REGEX', message: `String value did not match validation regex.` };
		case 'uniqueItems':
			return { path, code: 'BASE_TYPE_UNIQUE', message: 'Values must be unique.' };
		default:
			// `if`, `allOf`, `not`: the errors that explain them are reported on their own.
			return null;
	}
}

function valueAt(root: unknown, path: string[]): unknown {
	let node = root;
	for (const segment of path) {
		if (typeof node !== 'object' || node === null) return undefined;
		node = (node as Record<string, unknown>)[segment];
	}
	return node;
}

/**
 * Checks a request body against the spec's schema for `operationId`, adding every violation to `errors`
 * at the field path Discord names. Operations without a documented JSON body are not checked.
 */
export function checkRequestBody(errors: FormErrors, operationId: string, body: unknown): void {
	const fast = validatorFor(operationId, false);
	if (!fast || fast(body)) return;
	// Failed (or holds integers as strings, which Discord coerces): the explaining validator says which.
	const validate = validatorFor(operationId, true);
	if (!validate || validate(body)) return;
	const found = explain(validate.errors ?? [], '');
	if (found.length === 0) return;
	const seen = new Set<string>();
	let added = 0;
	for (const error of found) {
		const path = segmentsOf(error.instancePath);
		const entry = discordError(error, valueAt(body, path));
		if (!entry) continue;
		const key = `${entry.path.join('/')}|${entry.code}`;
		if (seen.has(key)) continue;
		seen.add(key);
		added++;
		errors.add(
			entry.path.map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
			entry.code,
			entry.message
		);
	}
	// A failure that maps to no Discord wording still refuses the body.
	if (added === 0) errors.add([], 'BASE_TYPE_INVALID', 'Invalid request body.');
}
