import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../src/core/logger.ts';

function capture() {
	const lines: string[] = [];
	const destination = new Writable({
		write(chunk, _encoding, callback) {
			lines.push(chunk.toString());
			callback();
		}
	});
	return { lines, logger: createLogger({ format: 'json', destination, level: 'debug' }) };
}

const TOKEN = 'MTEyMzQ1Njc4OTAxMjM0NTY3OA.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('logger', () => {
	it('GIVEN secrets in fields, nested headers, messages and errors THEN none reaches the output', () => {
		const { lines, logger } = capture();
		logger.info(
			{ token: TOKEN, user: { token: TOKEN }, req: { headers: { authorization: `Bot ${TOKEN}`, cookie: 'FACET_SESSION=s3cr3t' } } },
			'hello'
		);
		logger.info(`login with ${TOKEN}`);
		logger.error({ err: new Error(`request failed: Authorization: Bearer abcdefghijkl1234 url postgresql://u:pa55word@h/db`) }, 'boom');
		const output = lines.join('');
		expect(output).not.toContain(TOKEN);
		expect(output).not.toContain('s3cr3t');
		expect(output).not.toContain('abcdefghijkl1234');
		expect(output).not.toContain('pa55word');
		expect(output).toContain('[redacted]');
		expect(lines).toHaveLength(3);
	});

	it('GIVEN ordinary text THEN scrubbing leaves it alone', () => {
		expect(scrubSecrets('guild 1234567890 joined at 12:00')).toBe('guild 1234567890 joined at 12:00');
	});
});
