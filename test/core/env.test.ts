import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../../src/core/env.ts';
import { runNode } from '../helpers/process.ts';

describe('parseEnv', () => {
	it('GIVEN an empty environment THEN it is the sandbox with every default', () => {
		const env = parseEnv({});
		expect(env.mode).toBe('sandbox');
		expect(env.DATABASE_URL).toBeUndefined();
		expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
		expect(env.API_PORT).toBe(8787);
		expect(env.EMULATOR_PORT).toBe(8790);
	});

	it('GIVEN a token THEN it runs against Discord', () => {
		expect(parseEnv({ DISCORD_TOKEN: 'abc' }).mode).toBe('discord');
		expect(parseEnv({ DISCORD_TOKEN: '  ' }).mode).toBe('sandbox');
	});

	it("GIVEN a token and DISCORD_API_URL THEN the bot targets that server; EMULATOR_URL stays the sandbox's", () => {
		expect(parseEnv({ DISCORD_TOKEN: 't', DISCORD_API_URL: 'https://staging.example/api' }).DISCORD_API_URL).toBe(
			'https://staging.example/api'
		);
		expect(() => parseEnv({ DISCORD_TOKEN: 't', EMULATOR_URL: 'http://127.0.0.1:8790' })).toThrow(/EMULATOR_URL: is for the sandbox/);
		expect(() => parseEnv({ DISCORD_API_URL: 'https://staging.example/api' })).toThrow(/DISCORD_API_URL: needs DISCORD_TOKEN/);
		expect(() => parseEnv({ DISCORD_TOKEN: 't', DISCORD_API_URL: 'ftp://x' })).toThrow(/DISCORD_API_URL/);
	});

	it('GIVEN several bad variables THEN one error names every one of them and no value', () => {
		let error: unknown;
		try {
			parseEnv({ API_PORT: 'eighty', REDIS_URL: 'http://nope', DATABASE_URL: 'mysql://user:hunter2@db/x', LOG_LEVEL: 'loud' });
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(EnvError);
		const message = (error as EnvError).message;
		for (const name of ['API_PORT', 'REDIS_URL', 'DATABASE_URL', 'LOG_LEVEL']) expect(message).toContain(name);
		expect(message).not.toContain('hunter2');
		expect((error as EnvError).issues).toHaveLength(4);
	});
});

describe('the entry point', () => {
	it('GIVEN a bad env var THEN the process exits non-zero with a message naming it, before connecting anywhere', async () => {
		const proc = runNode(['src/main.ts'], { API_PORT: '99999', REDIS_URL: 'redis://127.0.0.1:6379' });
		const { code } = await proc.exited;
		expect(code).toBe(2);
		const output = proc.lines.join('\n');
		expect(output).toContain('Invalid environment');
		expect(output).toContain('API_PORT');
	});

	it('GIVEN Redis unreachable THEN one clear error names REDIS_URL and how to start Redis, without a stack trace stream', async () => {
		const proc = runNode(['src/main.ts'], {
			REDIS_URL: 'redis://127.0.0.1:1',
			LOG_FORMAT: 'json',
			DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres'
		});
		const { code } = await proc.exited;
		expect(code).toBe(1);
		const output = proc.lines.join('\n');
		expect(output).toContain('REDIS_URL=redis://127.0.0.1:1');
		expect(output).toContain('redis-server');
		expect(proc.lines.filter((line) => line.includes('ECONNREFUSED')).length).toBeLessThanOrEqual(1);
		expect(output).not.toMatch(/\n\s+at /);
	});
});

describe('plugin environment variables', () => {
	it('GIVEN plugins that declare variables THEN they are parsed with the core ones and reported together when invalid', async () => {
		const { plugins } = await import('../../src/plugins/index.ts');
		const env = parseEnv({ MILEAGE_FLUSH_INTERVAL_MS: '250' }, plugins) as Record<string, unknown>;
		expect(env.MILEAGE_FLUSH_INTERVAL_MS).toBe(250);
		let error: unknown;
		try {
			parseEnv({ MILEAGE_FLUSH_INTERVAL_MS: 'soon', API_PORT: 'x' }, plugins);
		} catch (caught) {
			error = caught;
		}
		expect((error as EnvError).issues.map((issue) => issue.split(':')[0]).sort()).toEqual(['API_PORT', 'MILEAGE_FLUSH_INTERVAL_MS']);
		// The core schema alone does not know them.
		expect((parseEnv({ MILEAGE_FLUSH_INTERVAL_MS: 'soon' }) as Record<string, unknown>).MILEAGE_FLUSH_INTERVAL_MS).toBeUndefined();
	});
});
