import { container } from '@sapphire/framework';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPlugin } from '../../../src/plugins/config/index.ts';
import { mileagePlugin } from '../../../src/plugins/mileage/index.ts';
import { formatImportCsv } from '../../../src/plugins/mileage/lib/csv.ts';
import { mileageJobs } from '../../../src/plugins/mileage/routes/_shared.ts';
import { type ApiBot, type Browser, DASHBOARD_ORIGIN, login, startApiBot } from '../../api/helpers.ts';
import { query } from '../../helpers/postgres.ts';
import { sleep } from '../../helpers/sandbox.ts';

// The mileage routes through a logged-in browser (grace manages the sandbox guild) against a bot in this process.

let bot: ApiBot;
let seed: ApiBot['emulator']['seed'];
let grace: Browser;
let guildId: string;
let otherGuildId: string;
let api: string;

interface Answer {
	status: number;
	body: Record<string, unknown> & { error?: string; fields?: Record<string, string[]> };
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
	const raw = typeof body === 'string';
	const response = await grace.fetch(`${api}${path}`, {
		method,
		headers: {
			origin: DASHBOARD_ORIGIN,
			...(body === undefined ? {} : { 'content-type': raw ? 'text/csv' : 'application/json' }),
			...headers
		},
		...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) })
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const ledger = async (guild = guildId) => {
	const [row] = await query<{ n: string; points: string }>(
		bot.db.url,
		'select count(*) as n, coalesce(sum(delta), 0) as points from mileage_event where guild_id = $1',
		[guild]
	);
	return { rows: Number(row!.n), points: Number(row!.points) };
};

const totals = async (guild = guildId) =>
	Object.fromEntries(
		(
			await query<{ user_id: string; points: string }>(
				bot.db.url,
				'select user_id, points from mileage_total where guild_id = $1 and points <> 0',
				[guild]
			)
		).map((row) => [row.user_id, Number(row.points)])
	) as Record<string, number>;

/** A fake, well-formed user id (nobody in the guild). */
const fakeUser = (i: number) => String(200_000_000_000_000_000n + BigInt(i));

beforeAll(async () => {
	bot = await startApiBot({
		plugins: [configPlugin, mileagePlugin],
		env: { MILEAGE_FLUSH_INTERVAL_MS: '200', API_RATE_LIMIT_MAX: '100000' }
	});
	seed = bot.emulator.seed;
	guildId = seed.guildId;
	api = `${bot.base}/mileage/guilds/${guildId}`;
	grace = (await login(bot, 'grace')).browser;
	const created = await fetch(`${bot.emulator.baseUrl}/_emulator/guilds`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ name: 'Other Guild', owner_id: seed.users.margaret })
	});
	otherGuildId = ((await created.json()) as { id: string }).id;
	for (let i = 0; !container.client.guilds.cache.has(otherGuildId); i++) {
		if (i > 200) throw new Error('the bot never joined the second guild');
		await sleep(50);
	}
	// Real data: adjustments written through the service, as a command would.
	await container.mileage.adjust(guildId, seed.users.ada, 120, 'seed', seed.users.grace);
	await container.mileage.adjust(guildId, seed.users.alan, 50, 'seed', seed.users.grace);
	await container.mileage.adjust(guildId, seed.users.linus, 30, 'seed', seed.users.grace);
	await container.mileage.adjust(guildId, seed.users.linus, -5, 'oops', seed.users.grace);
}, 60_000);

afterAll(async () => {
	await mileageJobs().settled();
	await bot?.stop();
});

describe('leaderboard and member routes', () => {
	it('GIVEN three members with points THEN the leaderboard pages them best first with rank, the names the bot knows and avatars', async () => {
		const first = await call('GET', '/leaderboard?page=1&pageSize=2');
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({ page: 1, pageSize: 2, members: 3, pages: 2 });
		expect(first.body.entries).toEqual([
			{ userId: seed.users.ada, points: 120, rank: 1, name: 'Ada', avatar: null },
			{ userId: seed.users.alan, points: 50, rank: 2, name: 'Alan', avatar: null }
		]);
		const second = await call('GET', '/leaderboard?page=2&pageSize=2');
		expect(second.body.entries).toEqual([{ userId: seed.users.linus, points: 25, rank: 3, name: 'Linus', avatar: null }]);
		const bad = await call('GET', '/leaderboard?pageSize=1000');
		expect([bad.status, bad.body.error, Object.keys(bad.body.fields ?? {})]).toEqual([400, 'invalid_body', ['pageSize']]);
	});

	it('GIVEN a member with two entries THEN their points, rank and history page with a before cursor', async () => {
		const page1 = await call('GET', `/members/${seed.users.linus}?limit=1`);
		expect(page1.status).toBe(200);
		expect(page1.body).toMatchObject({ userId: seed.users.linus, name: 'Linus', points: 25, rank: 3, pending: 0 });
		const [newest] = page1.body.history as { id: string; points: number; reason: string; note: string; actorId: string }[];
		expect(newest).toMatchObject({ points: -5, reason: 'adjust', note: 'oops', actorId: seed.users.grace });
		expect(page1.body.nextBefore).toBe(newest!.id);
		const page2 = await call('GET', `/members/${seed.users.linus}?limit=1&before=${page1.body.nextBefore}`);
		expect((page2.body.history as { points: number }[]).map((e) => e.points)).toEqual([30]);
		const page3 = await call('GET', `/members/${seed.users.linus}?limit=1&before=${(page2.body.history as { id: string }[])[0]!.id}`);
		expect([page3.body.history, page3.body.nextBefore]).toEqual([[], null]);
		const nobody = await call('GET', `/members/${fakeUser(1)}`);
		expect(nobody.body).toMatchObject({ points: 0, rank: null, name: null, history: [] });
		const bad = await call('GET', '/members/not-an-id');
		expect([bad.status, bad.body.error]).toEqual([400, 'invalid_request']);
	});
});

describe('adjust and reverse', () => {
	it('GIVEN a valid adjustment THEN 201 with the entry and the new total, written with its reason and actor', async () => {
		const before = await ledger();
		const answer = await call('POST', `/members/${seed.users.alan}/adjust`, { points: 7, reason: 'helped out' });
		expect(answer.status).toBe(201);
		expect(answer.body).toMatchObject({ total: 57, entry: { userId: seed.users.alan, points: 7, reason: 'adjust', note: 'helped out' } });
		expect((answer.body.entry as { actorId: string }).actorId).toBe(seed.users.grace);
		expect(await ledger()).toEqual({ rows: before.rows + 1, points: before.points + 7 });
	});

	it('GIVEN non-integer, zero, out-of-range or mistyped amounts and missing reasons THEN 400 field errors and nothing written', async () => {
		const before = await ledger();
		for (const [body, field] of [
			[{ points: 1.5, reason: 'x' }, 'points'],
			[{ points: 0, reason: 'x' }, 'points'],
			[{ points: 1_000_001, reason: 'x' }, 'points'],
			[{ points: -1_000_001, reason: 'x' }, 'points'],
			[{ points: '5', reason: 'x' }, 'points'],
			[{ points: 5 }, 'reason'],
			[{ points: 5, reason: '   ' }, 'reason'],
			[{ points: 5, reason: 'x', extra: true }, '']
		] as const) {
			const answer = await call('POST', `/members/${seed.users.alan}/adjust`, body);
			expect([JSON.stringify(body), answer.status, answer.body.error]).toEqual([JSON.stringify(body), 400, 'invalid_body']);
			expect(Object.keys(answer.body.fields!)).toContain(field);
		}
		const stranger = await call('POST', `/members/${fakeUser(2)}/adjust`, { points: 5, reason: 'x' });
		expect([stranger.status, stranger.body.error]).toEqual([404, 'unknown_member']);
		expect(await ledger()).toEqual(before);
	});

	it('GIVEN an entry THEN it reverses once (201, total restored); a second reverse is 409 and writes nothing', async () => {
		const { entry } = await container.mileage.adjust(guildId, seed.users.ada, 40, 'to undo', seed.users.grace);
		const first = await call('POST', `/events/${entry.id}/reverse`, { reason: 'mistake' });
		expect(first.status).toBe(201);
		expect(first.body).toMatchObject({ total: 120, entry: { points: -40, reason: 'reversal', reversesEventId: String(entry.id) } });
		const before = await ledger();
		const second = await call('POST', `/events/${entry.id}/reverse`, { reason: 'again' });
		expect([second.status, second.body.error]).toEqual([409, 'mileage_already_reversed']);
		const ofReversal = await call('POST', `/events/${(first.body.entry as { id: string }).id}/reverse`, { reason: 'undo undo' });
		expect([ofReversal.status, ofReversal.body.error]).toEqual([409, 'mileage_reversal_of_reversal']);
		expect(await ledger()).toEqual(before);
		const history = await call('GET', `/members/${seed.users.ada}?limit=5`);
		const reversed = (history.body.history as { id: string; reversedByEventId: string | null }[]).find((e) => e.id === String(entry.id));
		expect(reversed!.reversedByEventId).toBe((first.body.entry as { id: string }).id);
	});

	it("GIVEN another guild's event, an unknown one or a bad body THEN 404 / 400 and nothing written in either guild", async () => {
		const { entry } = await container.mileage.adjust(otherGuildId, seed.users.margaret, 9, 'theirs', seed.users.margaret);
		const [mine, theirs] = [await ledger(), await ledger(otherGuildId)];
		const foreign = await call('POST', `/events/${entry.id}/reverse`, { reason: 'not yours' });
		expect([foreign.status, foreign.body.error]).toEqual([404, 'mileage_unknown_event']);
		const unknown = await call('POST', '/events/99999999/reverse', { reason: 'nothing' });
		expect([unknown.status, unknown.body.error]).toEqual([404, 'mileage_unknown_event']);
		const badBody = await call('POST', `/events/${entry.id}/reverse`, { reason: 5 });
		expect([badBody.status, badBody.body.error, Object.keys(badBody.body.fields!)]).toEqual([400, 'invalid_body', ['reason']]);
		expect([await ledger(), await ledger(otherGuildId)]).toEqual([mine, theirs]);
	});
});

describe('tiers', () => {
	it('GIVEN tier changes THEN add (role checked against the guild), list, sync grants the role, delete; errors are 400/404/409', async () => {
		expect((await call('GET', '/tiers')).body).toEqual({ tiers: [] });
		for (const [roleId, message] of [
			[fakeUser(3), 'is not a role of this server'],
			[seed.roles.everyone, 'cannot be @everyone'],
			[seed.roles.bot, 'is managed by an integration and cannot be assigned']
		] as const) {
			const refused = await call('POST', '/tiers', { name: 'Bad', threshold: 10, roleId });
			expect([refused.status, refused.body.fields]).toEqual([400, { roleId: [message] }]);
		}
		expect((await call('GET', '/tiers')).body).toEqual({ tiers: [] });

		const added = await call('POST', '/tiers', { name: 'Regular', threshold: 100, roleId: seed.roles.member });
		expect(added.status).toBe(201);
		expect(added.body.tier).toMatchObject({
			name: 'Regular',
			threshold: 100,
			roleId: seed.roles.member,
			roleName: 'Member',
			problem: null
		});
		expect((added.body.sync as { kind: string }).kind).toBe('tierSync');
		const duplicate = await call('POST', '/tiers', { name: 'Again', threshold: 100, roleId: seed.roles.admin });
		expect([duplicate.status, duplicate.body.error]).toEqual([409, 'mileage_duplicate_tier']);
		await mileageJobs().settled();

		// ada (120 points) is past the threshold: the sync that followed the add gave her the role (alan, 57, lost it).
		const ada = await container.client.guilds.cache.get(guildId)!.members.fetch({ user: seed.users.ada, force: true });
		expect(ada.roles.cache.has(seed.roles.member)).toBe(true);
		const alan = await container.client.guilds.cache.get(guildId)!.members.fetch({ user: seed.users.alan, force: true });
		expect(alan.roles.cache.has(seed.roles.member)).toBe(false);

		const sync = await call('POST', '/tiers/sync');
		expect(sync.status).toBe(202);
		const job = sync.body.job as { id: string };
		await mileageJobs().settled();
		const polled = await call('GET', `/jobs/${job.id}`);
		expect(polled.body.job).toMatchObject({ id: job.id, kind: 'tierSync', state: 'done', result: { members: expect.any(Number) } });
		expect((await call('GET', '/jobs')).body.jobs).toEqual(expect.arrayContaining([expect.objectContaining({ id: job.id })]));

		const tierId = (added.body.tier as { id: string }).id;
		const removed = await call('DELETE', `/tiers/${tierId}`);
		expect([removed.status, (removed.body.tier as { id: string }).id]).toEqual([200, tierId]);
		const again = await call('DELETE', `/tiers/${tierId}`);
		expect([again.status, again.body.error]).toEqual([404, 'mileage_unknown_tier']);
		const noTiers = await call('POST', '/tiers/sync');
		expect([noTiers.status, noTiers.body.error]).toEqual([409, 'mileage_no_tiers']);
		expect((await call('GET', '/jobs/00000000-0000-0000-0000-000000000000')).status).toBe(404);
		await mileageJobs().settled();
	});
});

describe('points per day', () => {
	it("GIVEN points earned today THEN daily buckets in the guild's time zone, zero-filled, today last, optionally one member", async () => {
		await container.plugins.updateSettings(
			guildId,
			'config',
			{ timezone: 'Pacific/Kiritimati' },
			{ id: seed.users.grace, source: 'system' }
		);
		const answer = await call('GET', '/points?days=7');
		expect(answer.status).toBe(200);
		const buckets = answer.body.buckets as { day: string; points: number }[];
		expect(answer.body.timeZone).toBe('Pacific/Kiritimati');
		expect(buckets).toHaveLength(7);
		const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(new Date());
		expect(buckets.at(-1)!.day).toBe(today);
		expect(buckets.reduce((sum, b) => sum + b.points, 0)).toBe((await ledger()).points);
		const linus = await call('GET', `/points?days=1&user=${seed.users.linus}`);
		expect(linus.body.buckets).toEqual([{ day: today, points: 25 }]);
		// Entries just inside and just outside the window: it starts at local midnight six days ago, not at now - 7 × 24 h.
		const inside = await container.mileage.adjust(guildId, seed.users.margaret, 3, 'inside', seed.users.grace);
		const outside = await container.mileage.adjust(guildId, seed.users.margaret, 4, 'outside', seed.users.grace);
		const shift = `(date_trunc('day', now() at time zone 'Pacific/Kiritimati') - interval '6 days') at time zone 'Pacific/Kiritimati'`;
		await query(bot.db.url, `update mileage_event set created_at = ${shift} + interval '1 minute' where id = $1`, [inside.entry.id]);
		await query(bot.db.url, `update mileage_event set created_at = ${shift} - interval '1 minute' where id = $1`, [outside.entry.id]);
		const week = await call('GET', `/points?days=7&user=${seed.users.margaret}`);
		expect((week.body.buckets as { points: number }[]).map((b) => b.points)).toEqual([3, 0, 0, 0, 0, 0, 0]);
		const raw = await container.mileage.perDay(guildId, 7, 'Pacific/Kiritimati', seed.users.margaret);
		expect(raw.map((bucket) => bucket.points)).toEqual([3]);
		const bad = await call('GET', '/points?days=0&user=x');
		expect([bad.status, Object.keys(bad.body.fields!).sort()]).toEqual([400, ['days', 'user']]);
		await container.plugins.updateSettings(guildId, 'config', { timezone: undefined }, { id: seed.users.grace, source: 'system' });
	});
});

/** Reads a streamed response, counting the chunks it arrived in. */
async function readChunks(response: Response): Promise<{ text: string; chunks: number }> {
	const reader = response.body!.getReader();
	const decoder = new TextDecoder();
	let text = '';
	let chunks = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		chunks++;
		text += decoder.decode(value, { stream: true });
	}
	return { text: text + decoder.decode(), chunks };
}

const exportCsv = async (kind: string) => {
	const response = await grace.fetch(`${api}/export.csv?kind=${kind}`);
	expect([response.status, response.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
	expect(response.headers.get('content-disposition')).toMatch(new RegExp(`attachment; filename="mileage-${guildId}-${kind}-`));
	return readChunks(response);
};

describe('CSV export and import', () => {
	it('GIVEN the totals export THEN importing the same file as a dry run previews the same totals and writes nothing', async () => {
		const { text } = await exportCsv('totals');
		const expected = await totals();
		const lines = text.trimEnd().split('\r\n');
		expect(lines[0]).toBe('user_id,points');
		expect(
			Object.fromEntries(
				lines
					.slice(1)
					.map((line) => line.split(','))
					.map(([u, p]) => [u, Number(p)])
			)
		).toEqual(expected);
		const before = await ledger();
		const dry = await call('POST', '/import?dryRun=1', text);
		expect(dry.status).toBe(200);
		const sum = Object.values(expected).reduce((a, b) => a + b, 0);
		expect(dry.body).toEqual({
			dryRun: true,
			preview: {
				rows: Object.keys(expected).length,
				members: Object.keys(expected).length,
				points: sum,
				unknownMembers: 0,
				ignoredColumns: []
			}
		});
		// The ledger export imports as is too: its `points` column sums to the same totals.
		const ledgerFile = await exportCsv('ledger');
		expect(ledgerFile.text.split('\r\n')[0]).toBe('id,user_id,points,reason,actor_id,note,reverses_event_id,created_at');
		const dryLedger = await call('POST', '/import?dryRun=true', { csv: ledgerFile.text });
		expect(dryLedger.body.preview).toMatchObject({
			rows: before.rows,
			points: sum,
			ignoredColumns: ['id', 'reason', 'actor_id', 'reverses_event_id', 'created_at']
		});
		expect(await ledger()).toEqual(before);
	});

	it('GIVEN an adjust reason =HYPERLINK("http://x","y") THEN the ledger export holds it as text, and importing the export into an empty guild gives back the same ledger', async () => {
		const formula = '=HYPERLINK("http://x","y")';
		const reasons = [formula, "'tis a legitimate apostrophe", "'=an apostrophe the author typed", '@SUM(1+1)', '-dash'];
		for (const [i, reason] of reasons.entries()) {
			const adjusted = await call('POST', `/members/${seed.users.ada}/adjust`, { points: i % 2 ? -(i + 1) : i + 1, reason });
			expect(adjusted.status, JSON.stringify(adjusted.body)).toBe(201);
		}
		const exported = (await exportCsv('ledger')).text;
		// Opened in a spreadsheet, the formula is a text cell: quoted, with an apostrophe in front.
		expect(exported).toContain(`,"'=HYPERLINK(""http://x"",""y"")",`);
		expect(exported).toContain(`,"'@SUM(1+1)",`);
		expect(exported).toContain(`,"'-dash",`);
		// An apostrophe the author typed before a formula start gets one more; one before plain text is left alone.
		expect(exported).toContain(`,"''=an apostrophe the author typed",`);
		expect(exported).toContain(`,'tis a legitimate apostrophe,`);
		// Negative deltas stay numbers: `,-5,` (linus's seeded "oops"), never `'-5`.
		expect(exported).toMatch(new RegExp(`,${seed.users.linus},-5,adjust,`));

		// An empty guild grace owns: the import there must rebuild the same ledger (user, points, note) from the file.
		const created = await fetch(`${bot.emulator.baseUrl}/_emulator/guilds`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ name: 'Round Trip', owner_id: seed.users.grace })
		});
		const target = ((await created.json()) as { id: string }).id;
		for (let i = 0; !container.client.guilds.cache.has(target); i++) {
			if (i > 200) throw new Error('the bot never joined the round-trip guild');
			await sleep(50);
		}
		const targetApi = `${bot.base}/mileage/guilds/${target}`;
		const started = await grace.fetch(`${targetApi}/import`, {
			method: 'POST',
			headers: { origin: DASHBOARD_ORIGIN, 'content-type': 'text/csv' },
			body: exported
		});
		expect(started.status, await started.clone().text()).toBe(202);
		const { job } = (await started.json()) as { job: { id: string } };
		let state = 'running';
		for (let i = 0; state === 'running'; i++) {
			if (i > 500) throw new Error('the import job never finished');
			const polled = await grace.fetch(`${targetApi}/jobs/${job.id}`);
			state = ((await polled.json()) as { job: { state: string } }).job.state;
			if (state === 'running') await sleep(20);
		}
		expect(state).toBe('done');
		const entries = async (guild: string) =>
			(
				await query<{ user_id: string; delta: string; note: string | null }>(
					bot.db.url,
					'select user_id, delta, note from mileage_event where guild_id = $1 order by user_id, delta, note',
					[guild]
				)
			).map((row) => ({ userId: row.user_id, points: Number(row.delta), note: row.note }));
		const original = await entries(guildId);
		expect(original.map((entry) => entry.note)).toEqual(expect.arrayContaining(reasons));
		expect(await entries(target)).toEqual(original);
		expect(await totals(target)).toEqual(await totals(guildId));
	});

	it.each([
		['non-numeric points', `user_id,points\n${fakeUser(10)},12\n${fakeUser(11)},lots\n`, [{ row: 3, field: 'points' }]],
		[
			'points out of range',
			`user_id,points\n${fakeUser(10)},1000001\n${fakeUser(11)},-1000001\n`,
			[
				{ row: 2, field: 'points' },
				{ row: 3, field: 'points' }
			]
		],
		[
			'an invalid user id',
			`user_id,points\nabc,5\n12345,5\n${fakeUser(12)},5\n`,
			[
				{ row: 2, field: 'user_id' },
				{ row: 3, field: 'user_id' }
			]
		],
		['a missing column', `user_id\n${fakeUser(10)}\n`, [{ row: 1, field: 'points' }]],
		['a row with a missing field', `user_id,points,note\n${fakeUser(10)},5,ok\n${fakeUser(11)},5\n`, [{ row: 3, field: '' }]],
		['a duplicate header column', `user_id,points,points\n${fakeUser(10)},5,6\n`, [{ row: 1, field: 'points' }]],
		[
			'a repeated header line',
			`user_id,points\n${fakeUser(10)},5\nuser_id,points\n`,
			[
				{ row: 3, field: 'user_id' },
				{ row: 3, field: 'points' }
			]
		],
		['an unclosed quote', `user_id,points,note\n${fakeUser(10)},5,"never closed\n`, [{ row: 2, field: '' }]]
	])('GIVEN a file with %s THEN 400 with per-row errors for the whole file and the ledger unchanged', async (_name, csv, expected) => {
		const before = await ledger();
		for (const dryRun of ['?dryRun=1', '']) {
			const answer = await call('POST', `/import${dryRun}`, csv);
			expect([answer.status, answer.body.error]).toEqual([400, 'invalid_body']);
			expect((answer.body.errors as { row: number; field: string }[]).map(({ row, field }) => ({ row, field }))).toEqual(expected);
			expect(answer.body.errorCount).toBe(expected.length);
			expect(Object.keys(answer.body.fields!).length).toBeGreaterThan(0);
		}
		expect(await ledger()).toEqual(before);
	});

	it('GIVEN a file past the import route’s own 16 MB limit THEN 413, and other mileage routes keep the 64 KB limit', async () => {
		const before = await ledger();
		const huge = await call('POST', '/import?dryRun=1', 'x'.repeat(16 * 1024 * 1024 + 1));
		expect([huge.status, huge.body.error]).toEqual([413, 'payload_too_large']);
		const big = await call('POST', `/members/${seed.users.alan}/adjust`, { points: 1, reason: 'x', pad: 'x'.repeat(70_000) });
		expect([big.status, big.body.error]).toEqual([413, 'payload_too_large']);
		expect(await ledger()).toEqual(before);
	});

	it('GIVEN a body of another type THEN 415; GIVEN a JSON body without csv THEN 400 field errors', async () => {
		const xml = await call('POST', '/import', '<a/>', { 'content-type': 'application/xml' });
		expect([xml.status, xml.body.error]).toEqual([415, 'unsupported_media_type']);
		const json = await call('POST', '/import', { file: 'x' });
		expect([json.status, json.body.error]).toEqual([400, 'invalid_body']);
	});

	it('GIVEN 20,000 rows (about 600 KB, past the 64 KB API limit) THEN the import runs as a job whose progress is observed, then a second import is refused while it runs', async () => {
		const rows = Array.from({ length: 20_000 }, (_, i) => ({
			userId: fakeUser(1_000 + i),
			points: (i % 97) + 1,
			note: i % 2 ? null : `bulk, "row" ${i}`
		}));
		const csv = formatImportCsv(rows);
		expect(csv.length).toBeGreaterThan(64 * 1024);
		const before = await ledger();
		const started = await call('POST', '/import', csv);
		expect(started.status).toBe(202);
		const job = started.body.job as { id: string; state: string; total: number };
		expect([job.state, job.total]).toEqual(['running', 20_000]);
		expect(started.body.preview).toMatchObject({ rows: 20_000, members: 20_000, unknownMembers: 20_000 });
		const busy = await call('POST', '/import', formatImportCsv([{ userId: fakeUser(5), points: 1, note: null }]));
		expect([busy.status, busy.body.error, (busy.body.job as { id: string }).id]).toEqual([409, 'mileage_job_running', job.id]);

		const seen: { state: string; done: number; total: number }[] = [];
		for (let i = 0; i < 2_000; i++) {
			const polled = (await call('GET', `/jobs/${job.id}`)).body.job as { state: string; done: number; total: number };
			seen.push(polled);
			if (polled.state !== 'running') break;
			await sleep(10);
		}
		const last = seen.at(-1)!;
		expect(last).toMatchObject({ state: 'done', done: 20_000, total: 20_000 });
		expect(
			seen.some((s) => s.state === 'running' && s.done > 0 && s.done < 20_000),
			JSON.stringify(seen.slice(0, 5))
		).toBe(true);
		const dones = seen.map((s) => s.done);
		expect(dones).toEqual([...dones].sort((a, b) => a - b));
		const sum = rows.reduce((a, r) => a + r.points, 0);
		expect(await ledger()).toEqual({ rows: before.rows + 20_000, points: before.points + sum });
	});

	it('GIVEN more than 20,000 totals THEN the export streams them in many chunks, every row present', async () => {
		const expected = await totals();
		expect(Object.keys(expected).length).toBeGreaterThan(20_000);
		const { text, chunks } = await exportCsv('totals');
		const lines = text.trimEnd().split('\r\n');
		expect(lines).toHaveLength(Object.keys(expected).length + 1);
		expect(chunks).toBeGreaterThan(5);
		const dry = await call('POST', '/import?dryRun=1', text);
		expect(dry.body.preview).toMatchObject({ rows: lines.length - 1, points: Object.values(expected).reduce((a, b) => a + b, 0) });
		const ledgerFile = await exportCsv('ledger');
		expect(ledgerFile.chunks).toBeGreaterThan(5);
		expect(ledgerFile.text.trimEnd().split('\r\n')).toHaveLength((await ledger()).rows + 1);
	});

	it('GIVEN the mileage plugin disabled in the guild THEN its routes answer 409 plugin_disabled', async () => {
		await container.plugins.setEnabled(guildId, 'mileage', false, { id: seed.users.grace, source: 'system' });
		const answer = await call('GET', '/leaderboard');
		expect([answer.status, answer.body.error]).toEqual([409, 'plugin_disabled']);
		await container.plugins.setEnabled(guildId, 'mileage', true, { id: seed.users.grace, source: 'system' });
	});
});
