import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	DefaultCsvOptions,
	formatCsvField,
	formatCsvRow,
	formatImportCsv,
	type ImportRow,
	isSnowflake,
	parseImportCsv,
	readCsvRecords
} from '../../../src/plugins/mileage/lib/csv.ts';

const FIELDS = new Set(['', 'user_id', 'points', 'note']);

const userId = fc.bigInt({ min: 10_000_000_000_000_000n, max: 18_446_744_073_709_551_615n }).map(String);
const points = fc.integer({ min: -1_000_000, max: 1_000_000 }).filter((n) => n !== 0);
// Notes as people write them and worse: quotes, commas, line ends, spaces at the ends, any Unicode but NUL.
const note = fc.option(
	fc
		.string({
			unit: fc.oneof(
				fc.constantFrom('"', ',', '\r', '\n', ' ', '\t', 'é', '😀'),
				fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })
			),
			minLength: 1,
			maxLength: 60
		})
		.filter((text) => !text.includes('\u0000') && [...text].length <= 200),
	{ nil: null }
);
const importRow = fc.record({ userId, points, note });

const strip = (rows: ImportRow[]) => rows.map(({ userId, points, note }) => ({ userId, points, note }));

describe('parseImportCsv ∘ formatImportCsv', () => {
	it('GIVEN any valid rows THEN parse(format(rows)) gives them back, in order, with no errors', () => {
		fc.assert(
			fc.property(fc.array(importRow, { minLength: 1, maxLength: 40 }), (rows) => {
				const parsed = parseImportCsv(formatImportCsv(rows));
				expect(parsed.errors).toEqual([]);
				expect(strip(parsed.rows)).toEqual(rows);
			}),
			{ numRuns: 300 }
		);
	});

	it('GIVEN any list of fields THEN reading a formatted record gives the same fields back', () => {
		fc.assert(
			fc.property(
				fc
					.array(fc.string({ unit: 'binary', maxLength: 20 }), { minLength: 1, maxLength: 8 })
					.filter((f) => !(f.length === 1 && f[0] === '')),
				(fields) => {
					const records = [...readCsvRecords(formatCsvRow(fields))];
					expect(records).toEqual([{ line: 1, fields }]);
				}
			),
			{ numRuns: 500 }
		);
	});
});

describe('parseImportCsv on garbage', () => {
	const csvish = fc.string({
		unit: fc.constantFrom('"', ',', '\r', '\n', ' ', 'a', '1', '-', '+', 'user_id', 'points', 'note', '\uFEFF'),
		maxLength: 200
	});
	const anything = fc.oneof(csvish, fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 }));

	it('GIVEN arbitrary text THEN it never throws: either rows and no errors, or errors (row, field, message) and no rows', () => {
		fc.assert(
			fc.property(anything, (text) => {
				const parsed = parseImportCsv(text);
				if (parsed.errorCount === 0) {
					expect(parsed.rows.length).toBeGreaterThan(0);
				} else {
					expect(parsed.rows).toEqual([]);
					expect(parsed.errors.length).toBe(Math.min(parsed.errorCount, DefaultCsvOptions.maxErrors));
				}
				for (const error of parsed.errors) {
					expect(Number.isInteger(error.row) && error.row >= 1).toBe(true);
					expect(FIELDS.has(error.field) || error.field.length > 0).toBe(true);
					expect(typeof error.message).toBe('string');
				}
			}),
			{ numRuns: 2_000 }
		);
	});

	it('GIVEN valid rows with one line replaced by garbage THEN the error names that line and nothing is returned to import', () => {
		fc.assert(
			fc.property(
				fc.array(
					importRow.map((row) => ({ ...row, note: null })),
					{ minLength: 2, maxLength: 20 }
				),
				fc.nat(),
				fc.constantFrom('abc,5', '123456789012345678,x', '123456789012345678', '123456789012345678,5,extra,more', '"open,5', '12"3,5'),
				(rows, at, garbage) => {
					const lines = formatImportCsv(rows).trimEnd().split('\r\n');
					const index = 1 + (at % rows.length);
					lines[index] = garbage;
					const parsed = parseImportCsv(lines.join('\n'));
					expect(parsed.rows).toEqual([]);
					expect(parsed.errors.map((e) => e.row)).toContain(index + 1);
				}
			),
			{ numRuns: 300 }
		);
	});
});

describe('parseImportCsv examples', () => {
	const id = '123456789012345678';

	it('GIVEN a BOM, CRLF, header in another case and order, an extra column THEN it reads the rows and lists the ignored column', () => {
		const parsed = parseImportCsv(`\uFEFFNote,Points,USER_ID,source\r\nhi,+5,${id},x\r\n,-0007,${id},y\r\n`);
		expect(parsed.errors).toEqual([]);
		expect(strip(parsed.rows)).toEqual([
			{ userId: id, points: 5, note: 'hi' },
			{ userId: id, points: -7, note: null }
		]);
		expect(parsed.ignoredColumns).toEqual(['source']);
	});

	it('GIVEN quoted line ends THEN row numbers are the line where each record starts', () => {
		const parsed = parseImportCsv(`user_id,points,note\n${id},5,"two\nlines"\n\n${id},nope,x\n`);
		expect(parsed.errors).toEqual([{ row: 5, field: 'points', message: 'must be a whole number' }]);
	});

	it('GIVEN the bounds THEN ±1,000,000 pass and one more, 0, decimals, exponents and huge numbers fail', () => {
		expect(strip(parseImportCsv(`user_id,points\n${id},1000000\n${id},-1000000\n`).rows).map((r) => r.points)).toEqual([
			1_000_000, -1_000_000
		]);
		for (const value of ['1000001', '-1000001', '0', '-0', '1.5', '1e3', '99999999999999999999', '', ' ', '5 5']) {
			const parsed = parseImportCsv(`user_id,points\n${id},${value}\n`);
			expect([value, parsed.errors.map((e) => e.field)]).toEqual([value, ['points']]);
		}
	});

	it('GIVEN user ids THEN 17–20 digits within 64 bits pass; shorter, longer, past 2^64 or not digits fail', () => {
		expect(['12345678901234567', '18446744073709551615'].every(isSnowflake)).toBe(true);
		expect(['1234567890123456', '123456789012345678901', '18446744073709551616', '12345678901234567a', ''].some(isSnowflake)).toBe(false);
	});

	it('GIVEN notes THEN 200 characters (counted as the database does) pass, 201 or a NUL fail', () => {
		const emoji200 = '😀'.repeat(200);
		expect(parseImportCsv(`user_id,points,note\n${id},1,${emoji200}\n`).errors).toEqual([]);
		expect(parseImportCsv(`user_id,points,note\n${id},1,${'a'.repeat(201)}\n`).errors.map((e) => e.field)).toEqual(['note']);
		expect(parseImportCsv(`user_id,points,note\n${id},1,a\u0000b\n`).errors.map((e) => e.field)).toEqual(['note']);
	});

	it('GIVEN an empty file, a header only, or too many rows THEN one clear error', () => {
		expect(parseImportCsv('').errors).toEqual([{ row: 1, field: '', message: expect.stringMatching(/empty/) }]);
		expect(parseImportCsv('user_id,points\n').errors).toEqual([{ row: 2, field: '', message: 'no rows to import' }]);
		const many = parseImportCsv(`user_id,points\n${`${id},1\n`.repeat(11)}`, { maxRows: 10 });
		expect(many.errors).toEqual([{ row: 12, field: '', message: 'too many rows: at most 10 per import' }]);
	});

	it('GIVEN thousands of bad rows THEN the list is cut at maxErrors and the count is exact', () => {
		const parsed = parseImportCsv(`user_id,points\n${'x,y\n'.repeat(1_000)}`);
		expect([parsed.errors.length, parsed.errorCount]).toEqual([DefaultCsvOptions.maxErrors, 2_000]);
	});
});

describe('formula injection (OWASP CSV injection)', () => {
	const TRIGGERS = ['=', '+', '-', '@', '\t', '\r'];
	/** The text a spreadsheet sees in a written cell: the field without its CSV quoting. */
	const cellText = (field: string) => (field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field);
	// Text built from the characters that matter here, so formula starts and leading apostrophes are common.
	const tricky = fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '"', ',', 'a', '1', ' '), maxLength: 12 });

	it('GIVEN the reason =HYPERLINK("http://x","y") THEN it is written as a quoted text cell with an apostrophe in front', () => {
		expect(formatCsvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
		for (const start of TRIGGERS) expect(cellText(formatCsvField(`${start}1+1`)).startsWith(`'${start}`), JSON.stringify(start)).toBe(true);
	});

	it('GIVEN numbers THEN they are written bare, negative ones too; GIVEN ordinary text THEN it is unchanged', () => {
		expect(formatCsvRow([1, -5, 7n, -12n, '123456789012345678', "'tis", 'plain', null])).toBe(
			"1,-5,7,-12,123456789012345678,'tis,plain,\r\n"
		);
	});

	it('GIVEN any text THEN no written cell starts like a formula, and reading it back gives the same text', () => {
		fc.assert(
			fc.property(fc.array(tricky, { minLength: 1, maxLength: 6 }), (fields) => {
				fc.pre(!(fields.length === 1 && fields[0] === ''));
				const row = formatCsvRow(fields);
				for (const field of fields) expect(TRIGGERS.some((t) => cellText(formatCsvField(field)).startsWith(t))).toBe(false);
				expect([...readCsvRecords(row)]).toEqual([{ line: 1, fields }]);
			}),
			{ numRuns: 2_000 }
		);
	});

	it('GIVEN notes with formula starts and leading apostrophes THEN an import of the written file gives them back exactly', () => {
		const id = '123456789012345678';
		const notes = ['=HYPERLINK("http://x","y")', '+1', '-minus', '@SUM(A1)', '\tx', '\rx', "'tis", "'=kept", "''@two", "'", "''"];
		const parsed = parseImportCsv(formatImportCsv(notes.map((note, i) => ({ userId: id, points: -(i + 1), note }))));
		expect(parsed.errors).toEqual([]);
		expect(strip(parsed.rows)).toEqual(notes.map((note, i) => ({ userId: id, points: -(i + 1), note })));
	});

	it('GIVEN a hand-written file THEN an apostrophe is removed only where an export would have added it', () => {
		const id = '123456789012345678';
		const parsed = parseImportCsv(`user_id,points,note\n${id},1,'tis\n${id},2,'=unquoted\n${id},3,"'quoted"\n${id},4,"'=x"\n`);
		expect(strip(parsed.rows).map((row) => row.note)).toEqual(["'tis", "'=unquoted", "'quoted", '=x']);
	});
});
