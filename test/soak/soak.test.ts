import { describe, expect, it } from 'vitest';
import { runSoak, type SoakReport, violations } from '../../bench/soak-run.ts';

/*
 * The soak in CI: one minute of steady chat, reactions, joins and commands against the strict sandbox, with 429s and
 * gateway faults (4000 close, 1006 cut, zombie) injected. `npm run soak -- --minutes 10` is the full run.
 */
describe('soak', () => {
	it('GIVEN a minute of load with injected 429s and gateway faults THEN no invalid-request pressure, no missed deadline, no lost event or point', async () => {
		const report = await runSoak({ minutes: 1, log: (line) => console.log(line) });
		console.log(JSON.stringify(report));
		expect(violations(report)).toEqual([]);
		// The run did what it claims: load went through and every kind of fault was injected and recovered from.
		expect(report.sent.messages).toBeGreaterThanOrEqual(400);
		expect(report.sent.reactions).toBeGreaterThanOrEqual(100);
		expect(report.sent.joins).toBeGreaterThanOrEqual(10);
		expect(report.commands.answered).toBeGreaterThanOrEqual(20);
		expect(report.faults.rest_429_injected).toBeGreaterThanOrEqual(5);
		expect(report.faults.rest_429_served).toBeGreaterThanOrEqual(1);
		expect(report.faults.gateway).toEqual({ close_4000: 1, cut_1006: 1, zombie: 1 });
		expect(report.gateway.resumes).toBeGreaterThanOrEqual(3);
		// Every fault was resumed: no new session during the run.
		expect(report.gateway.identifies).toBe(0);
	}, 150_000);

	it('GIVEN reports that break a bound THEN each broken bound is named', () => {
		const good: SoakReport = {
			minutes: 1,
			sent: { messages: 10, reactions: 2, joins: 1, commands: 3 },
			handled: { messages: 10, reactions: 2, joins: 1 },
			commands: { answered: 3, skipped_during_outage: 0, failed: 0, failures: [], late_callbacks: 0, max_ack_ms: 40, acknowledged: 3 },
			mileage: { expected: 22, ledger: 22 },
			faults: { rest_429_injected: 1, rest_429_served: 1, gateway: {} },
			rest: {
				requests: 50,
				invalid_in_window: 1,
				invalid_total: 1,
				rate_limited_not_injected: 0,
				global_limited: 0,
				banned: false,
				ban_threshold: 10_000
			},
			gateway: { identifies: 1, resumes: 0, send_rate_limit_closes: 0, identify_concurrency_refused: 0, token_reset: false },
			errors_logged: 0
		};
		expect(violations(good)).toEqual([]);
		expect(violations({ ...good, rest: { ...good.rest, invalid_in_window: 100 } })).toEqual([
			'invalid requests 100 in 10 minutes, bound 100 (1% of the ban threshold)'
		]);
		expect(violations({ ...good, commands: { ...good.commands, late_callbacks: 1 } })).toEqual([
			'1 interactions missed the 3-second deadline'
		]);
		expect(violations({ ...good, handled: { ...good.handled, reactions: 1 } })).toEqual(['reactions: 2 sent, 1 handled']);
		expect(violations({ ...good, mileage: { expected: 22, ledger: 21 } })).toEqual(['mileage: 22 points expected, 21 in the ledger']);
	});
});
