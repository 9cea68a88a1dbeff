import { describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/postgres.ts';
import { runNode } from '../helpers/process.ts';

/*
 * docs/deployment.md tells people to put `sslmode` in DATABASE_URL for a database reached over the internet.
 * MikroORM splits the URL into its parts and drops the query, so the setting must reach pg another way: a URL
 * asking for TLS against a server without it (the test server has ssl=off) must fail, never connect in clear.
 */

const withQuery = (query: string) => {
	const url = new URL(TEST_DATABASE_URL);
	url.search = query;
	return url.toString();
};
const pending = async (databaseUrl: string) => {
	const proc = runNode(['src/migrate.ts', 'pending'], { DATABASE_URL: databaseUrl, LOG_FORMAT: 'json' });
	return { code: (await proc.exited).code, output: proc.lines.join('\n') };
};

describe('DATABASE_URL query parameters (sslmode)', () => {
	it('GIVEN sslmode=verify-full and a server without TLS THEN the connection is refused, not made in clear', async () => {
		const result = await pending(withQuery('sslmode=verify-full'));
		expect(result.code).not.toBe(0);
		expect(result.output).toContain('The server does not support SSL connections');
	}, 60_000);

	it('GIVEN sslmode=disable THEN the same server connects', async () => {
		const result = await pending(withQuery('sslmode=disable'));
		expect(result.output).toMatch(/"msg":"\d+ pending"/);
		expect(result.code).toBe(0);
	}, 60_000);
});
