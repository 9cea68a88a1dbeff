import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/postgres.ts';
import { type RunningProcess, runNode } from '../helpers/process.ts';
import { sleep } from '../helpers/sandbox.ts';

/*
 * The API port binds before the bot is ready (plugin-api listens before its routes load). From the moment it
 * binds, every request must get an answer at once: 503 with Retry-After while starting (GET /livez: 200), then the
 * real answer. None may hang.
 */

/** Longer than this without an answer counts as a hang. */
const HANG_MS = 2_000;
/** What each path answers once the bot is ready. */
const REAL: Record<string, number> = { '/livez': 200, '/readyz': 200, '/guilds': 401, '/users/@me': 401, '/no-such-route': 404 };

let db: ScratchDatabase;
let proc: RunningProcess | undefined;

afterAll(async () => {
	proc?.child.kill('SIGKILL');
	await proc?.exited;
	await db?.drop();
});

interface Outcome {
	path: string;
	at: number;
	ms: number;
	status?: number;
	retryAfter?: string | null;
	error?: string;
}

async function hit(base: string, path: string, startedAt: number): Promise<Outcome> {
	const sent = performance.now();
	const at = Math.round(sent - startedAt);
	try {
		const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(HANG_MS) });
		await response.arrayBuffer();
		return { path, at, ms: performance.now() - sent, status: response.status, retryAfter: response.headers.get('retry-after') };
	} catch (error) {
		const cause = (error as { cause?: { code?: string } }).cause?.code;
		const name = (error as Error).name;
		return { path, at, ms: performance.now() - sent, error: name === 'TimeoutError' ? 'timeout' : (cause ?? name) };
	}
}

describe('the API while the bot starts', () => {
	it('GIVEN requests from the moment the port binds THEN each is answered at once: 503 + Retry-After (livez 200) until ready, then the real answer', async () => {
		db = await createScratchDatabase('facet_startup_gate');
		const apiPort = await freePort();
		const base = `http://localhost:${apiPort}`;
		proc = runNode(['src/main.ts'], {
			DISCORD_TOKEN: undefined,
			DATABASE_URL: db.url,
			REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
			API_PORT: String(apiPort),
			EMULATOR_PORT: String(await freePort()),
			LOG_FORMAT: 'json',
			// Hundreds of requests from one address: the rate limit is not what this test is about.
			API_RATE_LIMIT_MAX: '1000000',
			TASKS_QUEUE: `facet-startup-gate-${process.pid}-${apiPort}`
		});
		const startedAt = performance.now();
		let readyAt: number | null = null;
		void proc.waitFor(/Facet is ready/, 90_000).then(
			() => {
				readyAt = performance.now() - startedAt;
			},
			() => undefined
		);

		const outcomes: Outcome[] = [];
		const inFlight: Promise<void>[] = [];
		// Bounded: stops 1 s after ready, or after 90 s.
		while (performance.now() - startedAt < 90_000) {
			if (readyAt !== null && performance.now() - startedAt > readyAt + 1_000) break;
			if (proc.child.exitCode !== null) break;
			for (const path of Object.keys(REAL)) inFlight.push(hit(base, path, startedAt).then((outcome) => void outcomes.push(outcome)));
			await sleep(20);
		}
		await Promise.all(inFlight);
		expect(readyAt, proc.lines.slice(-20).join('\n')).not.toBeNull();

		const answered = outcomes.filter((outcome) => outcome.status !== undefined);
		const refused = outcomes.filter((outcome) => outcome.error === 'ECONNREFUSED');
		const hung = outcomes.filter((outcome) => outcome.error === 'timeout');
		const otherErrors = outcomes.filter((outcome) => outcome.error && outcome.error !== 'ECONNREFUSED' && outcome.error !== 'timeout');
		const gated = answered.filter((outcome) => outcome.status === 503 && outcome.retryAfter);
		const firstAnswer = Math.min(...answered.map((outcome) => outcome.at));
		console.info(
			`start-up: ${refused.length} refused before bind, ${answered.length} answered (first at ${firstAnswer} ms, ready at ${Math.round(readyAt!)} ms), ` +
				`${gated.length} gated 503s, ${hung.length} hung, slowest answer ${Math.round(Math.max(...answered.map((o) => o.ms)))} ms`
		);
		expect(hung, 'requests that got no answer within 2 s').toEqual([]);
		expect(otherErrors).toEqual([]);
		// The port bound while the bot was starting, and those requests were told to come back.
		expect(gated.length).toBeGreaterThan(0);
		const wrong = answered.filter((outcome) => {
			if (outcome.status === REAL[outcome.path]) return false;
			// Only /livez answers while starting; everything else is a 503 that says when to retry.
			return !(outcome.path !== '/livez' && outcome.status === 503 && outcome.retryAfter && Number(outcome.retryAfter) > 0);
		});
		expect(wrong, 'answers that are neither the real one nor 503 + Retry-After').toEqual([]);
		// After ready, the real answers.
		const late = answered.filter((outcome) => outcome.at > readyAt! + 200);
		expect(late.length).toBeGreaterThan(0);
		for (const outcome of late) expect(outcome.status, outcome.path).toBe(REAL[outcome.path]);
	}, 120_000);
});
