import type { APIRequest, ResponseLike } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugin } from '../../src/plugins/config/index.ts';
import { type ApiBot, startApiBot } from '../api/helpers.ts';
import { slowGate, slowPlugin } from '../fixtures/plugins/slow/index.ts';
import { interact, waitUntil } from '../helpers/sandbox.ts';

/*
 * The core acknowledges a slow command for it: unanswered after 2 s, it is deferred (Discord's deadline is 3 s), and
 * whatever the command or the error renderer sends later edits that deferral. A command that fails because the
 * database did not answer shows "the database is unreachable".
 */

let bot: ApiBot;
/** Interaction callbacks the bot sent: response type, when (ms since the command was sent), HTTP status. */
let callbacks: { type: number; at: number; status: number }[] = [];
let sentAt = 0;

beforeAll(async () => {
	bot = await startApiBot({ plugins: [configPlugin, slowPlugin] });
	bot.handle.client.rest.on('response', (request: APIRequest, response: ResponseLike) => {
		if (!/\/interactions\/\d+\/[^/]+\/callback/.test(request.path)) return;
		const type = (request.data.body as { type?: number } | undefined)?.type ?? -1;
		callbacks.push({ type, at: performance.now() - sentAt, status: response.status });
	});
}, 60_000);

afterAll(async () => {
	slowGate().release();
	await bot?.stop();
});

function run(then: string) {
	callbacks = [];
	sentAt = performance.now();
	const { seed } = bot.emulator;
	return interact(bot.emulator, { user: seed.users.linus, command: 'slow', options: { then } });
}

describe('the defer deadline', () => {
	it('GIVEN a command still working after 2 s THEN the core defers it before 2.5 s and its reply edits the deferral', async () => {
		const answer = run('reply');
		const deferred = await waitUntil(
			() => callbacks,
			(seen) => seen.length > 0,
			3_000
		);
		expect(deferred).toEqual([expect.objectContaining({ type: 5, status: 204 })]);
		expect(deferred[0]!.at).toBeGreaterThanOrEqual(1_900);
		expect(deferred[0]!.at).toBeLessThan(2_500);
		expect(slowGate().waiting).toBe(true);
		slowGate().release();
		const reply = await answer;
		expect(reply.status).toBe(200);
		expect(reply.body).toMatchObject({ content: 'slow: reply', ephemeral: true });
		expect(callbacks).toHaveLength(1);
	});

	it('GIVEN a command that then loses the database THEN the deferral is edited to say the database is unreachable', async () => {
		const answer = run('fail');
		await waitUntil(
			() => callbacks,
			(seen) => seen.length > 0,
			3_000
		);
		slowGate().release();
		const reply = await answer;
		expect(callbacks).toEqual([expect.objectContaining({ type: 5, status: 204 })]);
		expect(reply.body.content).toContain('The database is unreachable');
		// The code on its own, not inside a snowflake (an interaction id may hold "10062").
		expect(bot.logs.filter((line) => /(?<!\d)10062(?!\d)/.test(line))).toEqual([]);
	});

	it('GIVEN a command that answers at once THEN it is not deferred', async () => {
		const reply = await run('quick');
		expect(reply.body.content).toBe('slow: quick');
		expect(callbacks).toEqual([expect.objectContaining({ type: 4, status: 204 })]);
	});
});
