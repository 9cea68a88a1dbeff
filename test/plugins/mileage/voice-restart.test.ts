import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/sandbox/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../../helpers/postgres.ts';
import { type RunningProcess, runNode } from '../../helpers/process.ts';
import { sleep } from '../../helpers/sandbox.ts';

const MINUTE_MS = 400;
const RATE = 2; // default points per voice minute
let db: ScratchDatabase;
let emulator: Emulator;
const running: RunningProcess[] = [];

beforeAll(async () => {
	db = await createScratchDatabase();
	emulator = new Emulator({ port: await freePort() });
	await emulator.start();
});

afterAll(async () => {
	for (const proc of running) proc.child.kill('SIGKILL');
	await emulator?.stop();
	await db?.drop();
});

async function startBot() {
	const started = performance.now();
	const proc = runNode(['src/main.ts'], {
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: db.url,
		API_PORT: String(await freePort()),
		LOG_FORMAT: 'json',
		TASKS_QUEUE: `facet-voice-${process.pid}`,
		MILEAGE_VOICE_MINUTE_MS: String(MINUTE_MS),
		MILEAGE_FLUSH_INTERVAL_MS: '200'
	});
	running.push(proc);
	await proc.waitFor(/Facet is ready/, 60_000);
	return { proc, started };
}

async function voicePoints(userId: string) {
	const [row] = await query<{ points: string | null }>(
		db.url,
		"select sum(delta) as points from mileage_event where user_id = $1 and reason = 'voice'",
		[userId]
	);
	return Number(row?.points ?? 0);
}

describe('voice minutes across a restart', () => {
	it('GIVEN a member in voice while the bot restarts THEN earning resumes after the restart and no minute is credited twice', async () => {
		const { seed } = emulator;
		const member = seed.users.linus;
		const first = await startBot();
		const joined = performance.now();
		emulator.setVoice({ guild_id: seed.guildId, user_id: member, channel_id: seed.channels.lounge });
		await sleep(MINUTE_MS * 5 + 100);
		const stopAt = performance.now();
		first.proc.child.kill('SIGTERM');
		expect((await first.proc.exited).code).toBe(0);
		const beforeRestart = await voicePoints(member);
		const upFirst = stopAt - joined;
		// Every whole minute seen before the stop is written by the final flush.
		expect(beforeRestart).toBeGreaterThanOrEqual(RATE * (Math.floor(upFirst / MINUTE_MS) - 1));
		expect(beforeRestart).toBeLessThanOrEqual(RATE * Math.ceil(upFirst / MINUTE_MS));
		const [session] = await query<{ remainder_ms: number }>(db.url, 'select remainder_ms from mileage_voice_session where user_id = $1', [
			member
		]);
		expect(session).toBeDefined();

		// The bot is down for a while; the member stays in voice.
		await sleep(MINUTE_MS * 3);
		const second = await startBot();
		const resumed = performance.now();
		await sleep(MINUTE_MS * 5 + 100);
		emulator.setVoice({ guild_id: seed.guildId, user_id: member, channel_id: null });
		const left = performance.now();
		await sleep(600);
		second.proc.child.kill('SIGTERM');
		expect((await second.proc.exited).code).toBe(0);

		const total = await voicePoints(member);
		const upSecond = left - resumed;
		// Resumed: the minutes after the restart were credited…
		expect(total - beforeRestart).toBeGreaterThanOrEqual(RATE * (Math.floor(upSecond / MINUTE_MS) - 1));
		// …and nothing twice: at most the minutes the bot could see, plus one for the carried remainder.
		expect(total).toBeLessThanOrEqual(RATE * (Math.floor((upFirst + (left - second.started)) / MINUTE_MS) + 1));
		// The downtime itself was not credited.
		expect(total).toBeLessThan(RATE * Math.floor((left - joined) / MINUTE_MS));
		// The member left: the checkpoint is closed.
		expect(await query(db.url, 'select 1 from mileage_voice_session where user_id = $1', [member])).toHaveLength(0);
	}, 90_000);
});
