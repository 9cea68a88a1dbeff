import pg from 'pg';

/** The server tests use; `npm test` reads DATABASE_URL like the bot does. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A throwaway database on the real PostgreSQL server, dropped by `drop()`. */
export interface ScratchDatabase {
	url: string;
	name: string;
	drop(): Promise<void>;
}

/** Creates an empty database with a unique name, so tests never share state. */
export async function createScratchDatabase(prefix = 'facet_test'): Promise<ScratchDatabase> {
	const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
	const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
	await admin.connect();
	try {
		await admin.query(`create database "${name}"`);
	} finally {
		await admin.end();
	}
	const url = new URL(TEST_DATABASE_URL);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		name,
		async drop() {
			const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
			await client.connect();
			try {
				await client.query(`drop database if exists "${name}" with (force)`);
			} finally {
				await client.end();
			}
		}
	};
}

/** Runs one query against a database URL and closes the connection. */
export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
	url: string,
	sql: string,
	params: unknown[] = []
): Promise<T[]> {
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		return (await client.query<T>(sql, params)).rows;
	} finally {
		await client.end();
	}
}

/** A hash of each table's rows: two equal results mean nothing was written to those tables. */
export async function tableHashes(url: string, tables: readonly string[]): Promise<Record<string, string>> {
	const hashes: Record<string, string> = {};
	for (const table of tables) {
		const [row] = await query<{ hash: string }>(
			url,
			`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as hash from "${table}" t`
		);
		hashes[table] = row!.hash;
	}
	return hashes;
}
