import { MAX_ADJUST } from './errors.ts';

/*
 * CSV for mileage import and export: RFC 4180 (comma separator, `"` quoting with `""` escapes, CRLF or LF line
 * ends, an optional UTF-8 byte order mark). Pure: no I/O, never throws on input — every problem is a row error.
 *
 * Formula injection (OWASP "CSV injection"): a text cell that a spreadsheet would run as a formula — it starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return — is written quoted with an apostrophe in front, which spreadsheets
 * read as "this cell is text". Text that already starts with apostrophes before such a character gets one more, so
 * the reader can take exactly one off again: an apostrophe is removed only from a quoted field of the form
 * `'…'<formula start>`, which is precisely what the writer produces. Every string therefore round-trips unchanged
 * (`'tis` stays `'tis`, `'=x` is written `"''=x"` and read back as `'=x`), and numbers are written bare: `-5` in
 * `points` is a number, not a formula.
 */

/** Text a spreadsheet would evaluate, allowing for apostrophes the writer has to protect too. */
const FORMULA_START = /^'*[=+\-@\t\r]/;
/** What the writer's neutralisation looks like from the reader's side: at least one apostrophe, then a formula start. */
const NEUTRALISED = /^'+[=+\-@\t\r]/;

/** One problem in an import file. `row` is the line of the file where the record starts (the header is row 1). */
export interface CsvRowError {
	row: number;
	/** The column (`user_id`, `points`, `note`), or `''` for the record or file as a whole. */
	field: string;
	message: string;
}

/** A valid import row. */
export interface ImportRow {
	row: number;
	userId: string;
	points: number;
	note: string | null;
}

/** What {@link parseImportCsv} found: rows to import when `errors` is empty. */
export interface ImportParse {
	rows: ImportRow[];
	/** The first {@link DefaultCsvOptions.maxErrors} errors, in file order. */
	errors: CsvRowError[];
	/** How many errors there were in all (more than `errors.length` when the list was cut). */
	errorCount: number;
	/** Header columns other than `user_id`, `points` and `note`, which are read past (a ledger export imports as is). */
	ignoredColumns: string[];
}

/** Limits of the import parser, in one place. */
export const DefaultCsvOptions = {
	/** Data rows one import may hold. */
	maxRows: 500_000,
	/** Errors listed in an answer; the rest are only counted. */
	maxErrors: 500,
	/** Longest note, in characters (the ledger's `note` column is `varchar(200)`). */
	maxNoteLength: 200
};

/** Options of {@link parseImportCsv}. */
export type CsvOptions = typeof DefaultCsvOptions;

/** Columns an import reads. `note` is optional. */
export const IMPORT_COLUMNS = ['user_id', 'points', 'note'] as const;

/** Header of the totals export (also the smallest valid import header). */
export const TOTALS_HEADER = ['user_id', 'points'] as const;

/** Header of the ledger export; its `points` column is the entry's delta, so the file imports as is. */
export const LEDGER_HEADER = ['id', 'user_id', 'points', 'reason', 'actor_id', 'note', 'reverses_event_id', 'created_at'] as const;

const SNOWFLAKE = /^\d{17,20}$/;
const MAX_SNOWFLAKE = 18_446_744_073_709_551_615n;
const INTEGER = /^[+-]?\d+$/;

/** True for a Discord id: 17–20 digits that fit in 64 bits. */
export function isSnowflake(value: string): boolean {
	return SNOWFLAKE.test(value) && BigInt(value) <= MAX_SNOWFLAKE;
}

/** One record of a CSV file, or why it could not be read. */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

/**
 * Splits CSV text into records. A malformed record (a stray quote, an unterminated quoted field) yields an error
 * for that record and reading resumes on the next line; blank lines yield nothing.
 */
export function* readCsvRecords(text: string): Generator<CsvRecord> {
	let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	let line = 1;
	const n = text.length;
	while (i < n) {
		const start = line;
		const fields: string[] = [];
		let field = '';
		let error: string | null = null;
		let quotedField = false;
		// One record: fields until an unquoted line end or the end of the text.
		for (;;) {
			if (i >= n) {
				fields.push(field);
				break;
			}
			const ch = text[i]!;
			if (ch === '"' && field === '' && !quotedField) {
				// A quoted field: up to the closing quote; `""` is a quote.
				quotedField = true;
				i++;
				let closed = false;
				while (i < n) {
					const c = text[i]!;
					if (c === '"') {
						if (text[i + 1] === '"') {
							field += '"';
							i += 2;
							continue;
						}
						i++;
						closed = true;
						break;
					}
					if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
					field += c;
					i++;
				}
				if (!closed) {
					error = 'a quoted field is never closed';
					break;
				}
				const next = text[i];
				if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
					error = 'unexpected text after a closing quote';
					break;
				}
				// Undo the export's formula neutralisation (see the top of this file); nothing else loses an apostrophe.
				if (NEUTRALISED.test(field)) field = field.slice(1);
				continue;
			}
			if (ch === ',') {
				fields.push(field);
				field = '';
				quotedField = false;
				i++;
				continue;
			}
			if (ch === '\r' || ch === '\n') {
				fields.push(field);
				i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
				line++;
				break;
			}
			if (ch === '"') {
				error = 'a quote inside an unquoted field (quote the whole field and double the quote)';
				break;
			}
			field += ch;
			i++;
		}
		if (error !== null) {
			// Resume on the next line so one bad record does not hide the others.
			while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
			if (i < n) {
				i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
				line++;
			}
			yield { line: start, error };
			continue;
		}
		if (fields.length === 1 && fields[0] === '' && !quotedField) continue;
		yield { line: start, fields };
	}
}

/** Reads an integer amount: a whole number within ±{@link MAX_ADJUST}, not 0. */
function readPoints(raw: string): number | string {
	const value = raw.trim();
	if (value === '') return 'is empty';
	if (!INTEGER.test(value)) return 'must be a whole number';
	const digits = value.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
	const points = digits.length > 9 ? Number.POSITIVE_INFINITY : Number(value);
	if (Math.abs(points) > MAX_ADJUST) return `must be between -${MAX_ADJUST} and ${MAX_ADJUST}`;
	if (points === 0) return 'must not be 0';
	return points;
}

/**
 * Parses and validates an import file `user_id,points[,note]` (header required, columns in any order, other
 * columns ignored). Every row is checked; the import is valid only when `errors` is empty.
 * @example
 * const { rows, errors } = parseImportCsv('user_id,points\n123456789012345678,10\n');
 */
export function parseImportCsv(text: string, options: Partial<CsvOptions> = {}): ImportParse {
	const { maxRows, maxErrors, maxNoteLength } = { ...DefaultCsvOptions, ...options };
	const rows: ImportRow[] = [];
	const errors: CsvRowError[] = [];
	let errorCount = 0;
	const fail = (row: number, field: string, message: string) => {
		errorCount++;
		if (errors.length < maxErrors) errors.push({ row, field, message });
	};
	const result = () => ({ rows: errorCount ? [] : rows, errors, errorCount, ignoredColumns });
	let ignoredColumns: string[] = [];

	const records = readCsvRecords(text);
	const first = records.next();
	if (first.done) {
		fail(1, '', 'the file is empty (expected a header: user_id,points[,note])');
		return result();
	}
	const header = first.value;
	if ('error' in header) {
		fail(header.line, '', header.error);
		return result();
	}
	const names = header.fields.map((name) => name.trim().toLowerCase());
	const index = new Map<string, number>();
	names.forEach((name, position) => {
		if (name === '') return;
		if (index.has(name)) fail(header.line, name, `duplicate column "${name}"`);
		else index.set(name, position);
	});
	for (const required of ['user_id', 'points']) {
		if (!index.has(required)) fail(header.line, required, `missing column "${required}" (expected a header: user_id,points[,note])`);
	}
	ignoredColumns = [...index.keys()].filter((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name));
	// Without a usable header the rows cannot be read meaningfully.
	if (errorCount > 0) return result();
	const userAt = index.get('user_id')!;
	const pointsAt = index.get('points')!;
	const noteAt = index.get('note');

	let dataRows = 0;
	for (const record of records) {
		if ('error' in record) {
			fail(record.line, '', record.error);
			continue;
		}
		dataRows++;
		if (dataRows > maxRows) {
			fail(record.line, '', `too many rows: at most ${maxRows} per import`);
			break;
		}
		const { fields, line } = record;
		if (fields.length !== names.length) {
			fail(line, '', `expected ${names.length} fields like the header, found ${fields.length}`);
			continue;
		}
		const userId = fields[userAt]!.trim();
		const points = readPoints(fields[pointsAt]!);
		const note = noteAt === undefined || fields[noteAt] === '' ? null : fields[noteAt]!;
		let ok = true;
		if (!isSnowflake(userId)) {
			fail(line, 'user_id', userId === '' ? 'is empty' : 'must be a Discord user id (17 to 20 digits)');
			ok = false;
		}
		if (typeof points === 'string') {
			fail(line, 'points', points);
			ok = false;
		}
		if (note !== null) {
			if ([...note].length > maxNoteLength) {
				fail(line, 'note', `must be at most ${maxNoteLength} characters`);
				ok = false;
			} else if (note.includes('\u0000')) {
				fail(line, 'note', 'must not contain NUL characters');
				ok = false;
			}
		}
		if (ok && errorCount === 0) rows.push({ row: line, userId, points: points as number, note });
	}
	if (errorCount === 0 && dataRows === 0) fail(2, '', 'no rows to import');
	return result();
}

/** A preview of a valid import: what it would add. */
export function importPreview(rows: readonly ImportRow[]) {
	const members = new Set<string>();
	let points = 0;
	for (const row of rows) {
		members.add(row.userId);
		points += row.points;
	}
	return { rows: rows.length, members: members.size, points };
}

/**
 * One CSV field: quoted when it holds a separator, a quote, a line end or leading/trailing spaces. Text that a
 * spreadsheet would run as a formula is neutralised (quoted, an apostrophe in front); numbers are written as they are.
 */
export function formatCsvField(value: string | number | bigint | null | undefined): string {
	if (value === null || value === undefined) return '';
	// A number's digits (and its minus sign) are a number to a spreadsheet, never a formula.
	if (typeof value === 'number' || typeof value === 'bigint') return String(value);
	const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
	if (FORMULA_START.test(value)) return quote(`'${value}`);
	return /[",\r\n]|^\s|\s$/.test(value) ? quote(value) : value;
}

/** One CSV record, CRLF-terminated (RFC 4180). */
export function formatCsvRow(values: readonly (string | number | bigint | null | undefined)[]): string {
	return `${values.map(formatCsvField).join(',')}\r\n`;
}

/** A whole import file from rows (tests, tools); the export routes stream {@link formatCsvRow} instead. */
export function formatImportCsv(rows: readonly Pick<ImportRow, 'userId' | 'points' | 'note'>[]): string {
	return formatCsvRow(IMPORT_COLUMNS) + rows.map((row) => formatCsvRow([row.userId, row.points, row.note])).join('');
}
