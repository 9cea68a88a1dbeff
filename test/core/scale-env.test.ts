import { describe, expect, it } from 'vitest';
import { shardOptions } from '../../src/core/client.ts';
import { EnvError, keepsSessions, parseEnv, parseShardIds } from '../../src/core/env.ts';

const issues = (source: NodeJS.ProcessEnv): string[] => {
	try {
		parseEnv(source);
	} catch (error) {
		if (error instanceof EnvError) return error.issues;
		throw error;
	}
	return [];
};

describe('FACET_ROLE, SHARD_COUNT and SHARD_IDS', () => {
	it('GIVEN nothing set THEN the role is all, with no shard options (discord.js defaults: one shard)', () => {
		const env = parseEnv({});
		expect(env.FACET_ROLE).toBe('all');
		expect(env.SHARD_COUNT).toBeUndefined();
		expect(env.SHARD_IDS).toBeUndefined();
		expect(shardOptions(env)).toEqual({});
	});

	it('GIVEN a bot holding shards 1 and 3-4 of 6 THEN discord.js gets exactly those ids of that count', () => {
		const env = parseEnv({ FACET_ROLE: 'bot', SHARD_COUNT: '6', SHARD_IDS: '3-4, 1' });
		expect(env.SHARD_IDS).toEqual([1, 3, 4]);
		expect(shardOptions(env)).toEqual({ shards: [1, 3, 4], shardCount: 6 });
		expect(shardOptions(parseEnv({ FACET_ROLE: 'bot', SHARD_COUNT: '3' }))).toEqual({ shards: [0, 1, 2], shardCount: 3 });
		expect(shardOptions(parseEnv({ SHARD_COUNT: 'auto' }))).toEqual({ shards: 'auto' });
	});

	it('GIVEN ids outside the count, ids without a count or with auto THEN one error names each, and no value is echoed', () => {
		expect(issues({ SHARD_COUNT: '2', SHARD_IDS: '1,2,5' })).toEqual(['SHARD_IDS: 2, 5 outside SHARD_COUNT=2 (ids run from 0 to 1)']);
		expect(issues({ SHARD_IDS: '0' })).toEqual(['SHARD_IDS: needs SHARD_COUNT (the number of shards of the whole bot)']);
		expect(issues({ SHARD_COUNT: 'auto', SHARD_IDS: '0' })[0]).toMatch(/^SHARD_IDS: needs a numeric SHARD_COUNT/);
	});

	it('GIVEN malformed values THEN each variable is reported with what is expected', () => {
		const found = issues({
			FACET_ROLE: 'shard',
			SHARD_COUNT: 'two',
			SHARD_IDS: '4-1',
			OPS_PORT: '70000',
			GATEWAY_MIN_SESSION_STARTS: '-1'
		});
		expect(found.map((issue) => issue.split(':')[0]).sort()).toEqual([
			'FACET_ROLE',
			'GATEWAY_MIN_SESSION_STARTS',
			'OPS_PORT',
			'SHARD_COUNT',
			'SHARD_IDS'
		]);
		expect(found.find((issue) => issue.startsWith('SHARD_COUNT'))).toContain('auto or a whole number from 1 to 4096');
		expect(found.find((issue) => issue.startsWith('SHARD_IDS'))).toContain('runs backwards');
		expect(issues({ SHARD_COUNT: '0' })[0]).toMatch(/^SHARD_COUNT/);
		expect(parseShardIds('0,x')).toBe('must be shard ids and ranges, e.g. 0,2,4-7');
		expect(parseShardIds('4096')).toMatch(/up to 4095/);
	});

	it('GIVEN shards on the api or worker role THEN it is refused: those roles hold no gateway', () => {
		expect(issues({ FACET_ROLE: 'worker', SHARD_COUNT: '2' })).toEqual([
			'SHARD_IDS/SHARD_COUNT: the worker role holds no shards; set them on bot processes only'
		]);
		expect(issues({ FACET_ROLE: 'api', SHARD_COUNT: '2', SHARD_IDS: '0' })).toHaveLength(1);
		expect(shardOptions(parseEnv({ FACET_ROLE: 'api' }))).toEqual({});
	});

	it('GIVEN GATEWAY_KEEP_SESSIONS=auto THEN bot processes keep their sessions, the single process does not unless asked, api and worker never', () => {
		expect(keepsSessions(parseEnv({ FACET_ROLE: 'bot' }))).toBe(true);
		expect(keepsSessions(parseEnv({}))).toBe(false);
		expect(keepsSessions(parseEnv({ GATEWAY_KEEP_SESSIONS: 'true' }))).toBe(true);
		expect(keepsSessions(parseEnv({ FACET_ROLE: 'bot', GATEWAY_KEEP_SESSIONS: 'false' }))).toBe(false);
		expect(keepsSessions(parseEnv({ FACET_ROLE: 'worker', GATEWAY_KEEP_SESSIONS: 'true' }))).toBe(false);
		expect(issues({ GATEWAY_KEEP_SESSIONS: 'yes' })[0]).toMatch(/^GATEWAY_KEEP_SESSIONS/);
	});
});
