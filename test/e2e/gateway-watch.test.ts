import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/sandbox/index.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/postgres.ts';
import { jsonLines, type RunningProcess, runNode } from '../helpers/process.ts';

let db: ScratchDatabase;
let emulator: Emulator;
let proc: RunningProcess | undefined;

beforeAll(async () => {
	db = await createScratchDatabase();
});

// An emulator per test, as a bot per test: on a shared one, the second bot's IDENTIFY comes within the 5 s
// max_concurrency spacing of the first bot's session start and gets INVALID_SESSION (as on Discord). Its own
// "session invalidated" line then opens the 10 s log window, and the injected invalidation is folded into it.
beforeEach(async () => {
	emulator = new Emulator({ port: await freePort(), heartbeatIntervalMs: 5_000 });
	await emulator.start();
});

afterEach(async () => {
	proc?.child.kill('SIGKILL');
	proc = undefined;
	await emulator?.stop();
});

afterAll(async () => {
	await db?.drop();
});

async function spawnBot(env: Record<string, string> = {}): Promise<RunningProcess> {
	return runNode(['src/main.ts'], {
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: db.url,
		API_PORT: String(await freePort()),
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-gateway-watch-${process.pid}`,
		...env
	});
}

const linesMatching = (pattern: RegExp) => jsonLines(proc?.lines ?? []).filter((line) => pattern.test(String(line.msg)));

describe('never silent about the gateway', () => {
	it('GIVEN a gateway that closes every IDENTIFY with 4000 THEN the close codes are logged, the missed deadline is logged loudly with the last close code, and the start goes on retrying until READY', async () => {
		emulator.injectFault({ kind: 'gateway_refuse_identify', close_code: 4000, count: 10_000 });
		proc = await spawnBot({ GATEWAY_READY_TIMEOUT_SECONDS: '3' });
		const connecting = JSON.parse(await proc.waitFor(/connecting to the gateway/, 60_000)) as { time: number };
		const first = JSON.parse(await proc.waitFor(/not READY after/, 15_000)) as Record<string, unknown>;
		// At the deadline (3 s, counted from the login call), not later; loud (error level).
		expect(first).toMatchObject({ level: 50 });
		expect(Number(first.waitedMs)).toBeGreaterThanOrEqual(3_000);
		expect(Number(first.waitedMs)).toBeLessThan(4_000);
		// Once a close was seen (at once on an idle machine; later when the start itself is slow), the line names it.
		const named = JSON.parse(
			await proc.waitFor((line) => line.includes('not READY after') && line.includes('"lastCloseCode":4000'), 15_000)
		) as Record<string, unknown>;
		expect(named).toMatchObject({ level: 50, lastCloseCode: 4000, lastCloseName: 'UnknownError' });
		expect(linesMatching(/disconnected \(close 4000\)/)[0]).toMatchObject({ shardId: 0, code: 4000, codeName: 'UnknownError' });
		expect(proc.lines.some((line) => line.includes('Facet is ready'))).toBe(false);

		// Still retrying: once the gateway accepts IDENTIFY again, the start completes on its own.
		emulator.clearFaults();
		await proc.waitFor(/Facet is ready/, 30_000);
		// One disconnect line per 10 s at most, however often discord.js retried meanwhile.
		const disconnects = linesMatching(/disconnected/);
		const spanMs = Date.now() - connecting.time;
		expect(disconnects.length).toBeLessThanOrEqual(Math.ceil(spanMs / 10_000) + 1);
		proc.child.kill('SIGTERM');
		expect((await proc.exited).code).toBe(0);
	}, 90_000);

	it('GIVEN a READY bot THEN a dropped connection logs disconnect, reconnect and resume, and an invalidated session logs so', async () => {
		// A process of its own: the first test's lines would fold these into its 10 s log window.
		proc = await spawnBot();
		await proc.waitFor(/Facet is ready/, 60_000);
		// Its start was not invalidated (that line would fold the one asserted below into its log window).
		expect(emulator.snapshot().gateway.limits.identify_concurrency_refused).toBe(0);
		const before = proc.lines.length;
		const since = () => jsonLines(proc!.lines.slice(before));
		expect(emulator.injectFault({ kind: 'gateway_disconnect', close_code: 4000 }).affected).toBe(1);
		await proc!.waitFor((line) => line.includes('resumed') && proc!.lines.indexOf(line) >= before, 30_000);
		expect(since().map((line) => line.msg)).toEqual(
			expect.arrayContaining(['gateway shard 0 disconnected (close 4000)', 'gateway shard 0 reconnected', 'gateway shard 0 resumed'])
		);
		expect(emulator.injectFault({ kind: 'gateway_invalid_session' }).affected).toBe(1);
		// The Facet line itself (discord.js's own debug lines say "session invalidated" too, earlier).
		await proc!.waitFor(
			(line) => line.includes('"msg":"gateway shard 0 session invalidated"') && proc!.lines.indexOf(line) >= before,
			30_000
		);
		expect(since().find((line) => line.msg === 'gateway shard 0 session invalidated')).toMatchObject({ level: 40, resumable: false });
	}, 120_000);
});
