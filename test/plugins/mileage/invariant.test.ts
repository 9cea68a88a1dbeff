import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MikroORM } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import type { MileageReason } from '../../../src/plugins/mileage/entities/MileageEvent.ts';
import { mileagePlugin } from '../../../src/plugins/mileage/index.ts';
import { MileageError, MileageIdentifiers } from '../../../src/plugins/mileage/lib/errors.ts';
import { MileageService } from '../../../src/plugins/mileage/lib/service.ts';
import { rebuildTotals } from '../../../src/plugins/mileage/lib/store.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../../helpers/postgres.ts';

/*
 * Model-based property test of the mileage write path against real PostgreSQL: arbitrary sequences of awards,
 * flushes, failures injected before and after a commit, restarts that spill to disk, admin adjustments,
 * reversals (valid and not) and imports. The model is the exact sum every member must end up with.
 */

const GUILDS = ['200000000000000001', '200000000000000002', '200000000000000003'];
const USERS = ['300000000000000001', '300000000000000002', '300000000000000003', '300000000000000004'];
const AWARD_REASONS: MileageReason[] = ['message', 'reaction', 'join', 'voice'];
const ACTOR = '400000000000000001';

type Op =
	| { op: 'award'; g: number; u: number; reason: MileageReason; points: number }
	| { op: 'flush'; force: boolean }
	| { op: 'fault'; when: 'before' | 'after'; times: number }
	| { op: 'awardDuringFlush'; g: number; u: number; points: number }
	| { op: 'adjust'; g: number; u: number; points: number }
	| { op: 'reverse'; pick: number; otherGuild: boolean; missing: boolean }
	| { op: 'import'; g: number; rows: { u: number; points: number }[] }
	| { op: 'restart' };

const g = fc.nat({ max: GUILDS.length - 1 });
const u = fc.nat({ max: USERS.length - 1 });
const rarely = fc.nat({ max: 4 }).map((n) => n === 0);
const opArb: fc.Arbitrary<Op> = fc.oneof(
	{
		arbitrary: fc.record({
			op: fc.constant('award' as const),
			g,
			u,
			reason: fc.constantFrom(...AWARD_REASONS),
			points: fc.integer({ min: 1, max: 10 })
		}),
		weight: 6
	},
	{ arbitrary: fc.record({ op: fc.constant('flush' as const), force: fc.boolean() }), weight: 3 },
	{
		arbitrary: fc.record({
			op: fc.constant('fault' as const),
			when: fc.constantFrom('before' as const, 'after' as const),
			times: fc.integer({ min: 1, max: 3 })
		}),
		weight: 3
	},
	{ arbitrary: fc.record({ op: fc.constant('awardDuringFlush' as const), g, u, points: fc.integer({ min: 1, max: 10 }) }), weight: 1 },
	{
		arbitrary: fc.record({ op: fc.constant('adjust' as const), g, u, points: fc.integer({ min: -50, max: 50 }).filter((n) => n !== 0) }),
		weight: 2
	},
	{ arbitrary: fc.record({ op: fc.constant('reverse' as const), pick: fc.nat(), otherGuild: rarely, missing: rarely }), weight: 3 },
	{
		arbitrary: fc.record({
			op: fc.constant('import' as const),
			g,
			rows: fc.array(fc.record({ u, points: fc.integer({ min: -100, max: 100 }).filter((n) => n !== 0) }), { minLength: 1, maxLength: 6 })
		}),
		weight: 1
	},
	{ arbitrary: fc.constant({ op: 'restart' as const }), weight: 1 }
);

/** Failures the next transactions will meet: each transaction (flush, adjust, reversal, import chunk) takes one. */
class FaultPlan {
	readonly queue: ('before' | 'after')[] = [];
	/** Transactions failed after their commit: the caller saw an error although the data is there. */
	committedButFailed = 0;
	rolledBack = 0;

	take(): 'before' | 'after' | undefined {
		return this.queue.shift();
	}
}

class InjectedFault extends Error {
	readonly when: 'before' | 'after';
	constructor(when: 'before' | 'after') {
		super(when === 'before' ? 'injected: connection lost before commit' : 'injected: connection lost after commit');
		this.when = when;
	}
}

/** An entity manager whose `transactional` fails as planned: rolled back, or committed with the caller told otherwise. */
function faulty(em: EntityManager, plan: FaultPlan): EntityManager {
	const transactional = async <T>(cb: (tx: EntityManager) => Promise<T>): Promise<T> => {
		const fault = plan.take();
		if (fault === 'before') {
			plan.rolledBack++;
			await em.transactional(async (tx) => {
				await cb(tx as EntityManager);
				throw new InjectedFault('before');
			});
			throw new Error('unreachable: the transaction above always throws');
		}
		const result = await em.transactional((tx) => cb(tx as EntityManager));
		if (fault === 'after') {
			plan.committedButFailed++;
			throw new InjectedFault('after');
		}
		return result;
	};
	return new Proxy(em, {
		get(target, prop) {
			if (prop === 'transactional') return transactional;
			const value = Reflect.get(target, prop, target);
			return typeof value === 'function' ? value.bind(target) : value;
		}
	});
}

let db: ScratchDatabase;
let orm: MikroORM;
const logger = pino({ level: 'silent' });
const key = (guildId: string, userId: string) => `${guildId}:${userId}`;

beforeAll(async () => {
	db = await createScratchDatabase('facet_mileage_invariant');
	// Durability of this throwaway database is not under test; waiting for each commit's WAL flush only slows the runs.
	await query(db.url, `alter database "${db.name}" set synchronous_commit = off`);
	orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: [mileagePlugin], poolMax: 4 }));
	await orm.migrator.up();
});

afterAll(async () => {
	await orm?.close();
	await db?.drop();
});

const sql = <T>(query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(query, params);

/** Totals must equal their ledger sums, both ways (no total without a ledger row, no ledger group without a total). */
async function totalsMatchLedger(): Promise<string[]> {
	const rows = await sql<{ guild_id: string; user_id: string; total: string | null; ledger: string | null }>(
		`select coalesce(t.guild_id, l.guild_id) as guild_id, coalesce(t.user_id, l.user_id) as user_id, t.points as total, l.points as ledger
		 from mileage_total t full outer join (select guild_id, user_id, sum(delta) as points from mileage_event group by guild_id, user_id) l
		 on l.guild_id = t.guild_id and l.user_id = t.user_id
		 where t.points is distinct from l.points`
	);
	return rows.map((row) => `${row.guild_id}/${row.user_id}: total ${row.total} ledger ${row.ledger}`);
}

interface RunStats {
	batches: number;
	committedButFailed: number;
	rolledBack: number;
	spilled: number;
	reversals: Record<string, number>;
}

const totals: RunStats = { batches: 0, committedButFailed: 0, rolledBack: 0, spilled: 0, reversals: {} };
let runs = 0;

async function runSequence(ops: Op[]): Promise<void> {
	runs++;
	await sql('truncate mileage_event, mileage_total, mileage_flush restart identity');
	const spillDir = await mkdtemp(join(tmpdir(), 'facet-mileage-invariant-'));
	const plan = new FaultPlan();
	const faultyOrm = { em: { fork: () => faulty(orm.em.fork(), plan) } } as unknown as MikroORM;
	const make = () =>
		new MileageService(faultyOrm, logger, { spillDir, flushIntervalMs: 60_000, retryBaseMs: 1, retryMaxMs: 4, flushAtKeys: 1_000_000 });
	const started: MileageService[] = [];
	let service = make();
	const expected = new Map<string, number>();
	const credit = (guildId: string, userId: string, points: number) =>
		expected.set(key(guildId, userId), (expected.get(key(guildId, userId)) ?? 0) + points);
	/** Runs an admin write: success or a failure after commit means the entry is in; any other failure means it is not. */
	const admin = async <T>(write: () => Promise<T>): Promise<{ applied: boolean; error?: unknown }> => {
		try {
			await write();
			return { applied: true };
		} catch (error) {
			if (error instanceof InjectedFault) {
				return { applied: error.when === 'after', error };
			}
			return { applied: false, error };
		}
	};
	const startService = async (next: MileageService) => {
		// A start whose recovery meets a failure is retried, as a supervisor would restart the process.
		for (let attempt = 0; ; attempt++) {
			try {
				await next.start();
				started.push(next);
				return;
			} catch (error) {
				if (!(error instanceof InjectedFault) || attempt > 100) throw error;
			}
		}
	};

	try {
		for (const op of ops) {
			switch (op.op) {
				case 'award':
					service.award(GUILDS[op.g]!, USERS[op.u]!, op.reason, op.points);
					credit(GUILDS[op.g]!, USERS[op.u]!, op.points);
					break;
				case 'flush':
					// A failed flush keeps its batch; the next one retries it with the same id.
					await service.flush(op.force);
					break;
				case 'fault':
					for (let i = 0; i < op.times; i++) plan.queue.push(op.when);
					break;
				case 'awardDuringFlush': {
					// Points that arrive while a flush is in flight land in the next batch, never in a gap between two.
					const flushing = service.flush(true);
					service.award(GUILDS[op.g]!, USERS[op.u]!, 'message', op.points);
					credit(GUILDS[op.g]!, USERS[op.u]!, op.points);
					await flushing;
					break;
				}
				case 'adjust': {
					const result = await admin(() => service.adjust(GUILDS[op.g]!, USERS[op.u]!, op.points, 'property test', ACTOR));
					if (result.applied) credit(GUILDS[op.g]!, USERS[op.u]!, op.points);
					break;
				}
				case 'reverse': {
					const events = await sql<{ id: string; guild_id: string; user_id: string; delta: string; reason: string; reversed: boolean }>(
						`select e.id, e.guild_id, e.user_id, e.delta, e.reason, exists (select 1 from mileage_event r where r.reverses_event_id = e.id) as reversed
						 from mileage_event e order by e.id`
					);
					const target = op.missing || events.length === 0 ? undefined : events[op.pick % events.length]!;
					const eventId = target ? Number(target.id) : 1_000_000 + op.pick;
					const guildId = target
						? op.otherGuild
							? GUILDS.find((id) => id !== target.guild_id)!
							: target.guild_id
						: GUILDS[op.pick % GUILDS.length]!;
					const result = await admin(() => service.reverse(guildId, eventId, 'property test', ACTOR));
					let outcome: string;
					if (!target || guildId !== target.guild_id) outcome = MileageIdentifiers.UnknownEvent;
					else if (target.reason === 'reversal') outcome = MileageIdentifiers.ReversalOfReversal;
					else if (target.reversed) outcome = MileageIdentifiers.AlreadyReversed;
					else outcome = 'reversed';
					if (result.error instanceof MileageError) {
						expect(result.error.identifier, `reversal of #${eventId} in ${guildId}`).toBe(outcome);
					} else if (result.error && !(result.error instanceof InjectedFault)) {
						throw result.error;
					} else if (!result.error) {
						expect(outcome, `reversal of #${eventId} in ${guildId} succeeded`).toBe('reversed');
					}
					// An injected fault hides the rules' answer; what matters is whether the entry committed.
					if (result.applied) {
						expect(outcome).toBe('reversed');
						credit(target!.guild_id, target!.user_id, -Number(target!.delta));
					}
					totals.reversals[result.applied ? 'reversed' : result.error instanceof MileageError ? outcome : 'rolled back'] =
						(totals.reversals[result.applied ? 'reversed' : result.error instanceof MileageError ? outcome : 'rolled back'] ?? 0) + 1;
					break;
				}
				case 'import': {
					const rows = op.rows.map((row) => ({ userId: USERS[row.u]!, points: row.points, note: null }));
					const result = await admin(() => service.import(GUILDS[op.g]!, rows, ACTOR));
					if (result.applied) for (const row of rows) credit(GUILDS[op.g]!, row.userId, row.points);
					break;
				}
				case 'restart': {
					// Shutdown with whatever faults are planned: batches that cannot be written are spilled, the next start applies them.
					await service.stop(30);
					totals.spilled += (await readdir(spillDir)).length;
					service = make();
					await startService(service);
					break;
				}
			}
			const drift = await totalsMatchLedger();
			expect(drift, `after ${JSON.stringify(op)}`).toEqual([]);
		}

		// The database is back: everything buffered or waiting for a retry reaches the ledger.
		plan.queue.length = 0;
		for (let i = 0; i < 5 && (service.buffer.openSize > 0 || service.buffer.sealed.length > 0); i++) await service.flush(true);
		expect(service.buffer.size).toBe(0);
		expect(service.buffer.sealed).toHaveLength(0);
		expect(await readdir(spillDir)).toEqual([]);

		expect(await totalsMatchLedger()).toEqual([]);
		// Exact: every awarded, adjusted, imported and reversed point, none twice.
		const stored = await sql<{ guild_id: string; user_id: string; points: string }>('select guild_id, user_id, points from mileage_total');
		const actual = new Map(stored.map((row) => [key(row.guild_id, row.user_id), Number(row.points)]));
		for (const [k, points] of expected) expect(actual.get(k) ?? 0, k).toBe(points);
		for (const [k, points] of actual) expect(expected.get(k) ?? 0, k).toBe(points);

		// No batch applied twice: each applied batch's ledger rows are exactly the rows it declared, one per key.
		const batches = await sql<{ batch_id: string; declared: number; events: string; keys: string }>(
			`select f.batch_id, f.rows as declared, count(e.id) as events, count(distinct (e.guild_id, e.user_id, e.reason)) as keys
			 from mileage_flush f left join mileage_event e on e.batch_id = f.batch_id group by f.batch_id, f.rows`
		);
		for (const batch of batches) {
			expect(Number(batch.events), batch.batch_id).toBe(batch.declared);
			expect(Number(batch.keys), batch.batch_id).toBe(batch.declared);
		}
		const orphans = await sql<{ n: string }>(
			'select count(*) as n from mileage_event e where e.batch_id is not null and not exists (select 1 from mileage_flush f where f.batch_id = e.batch_id)'
		);
		expect(Number(orphans[0]!.n)).toBe(0);
		// A reversal mirrors its event exactly, and no event is reversed twice (the unique index, checked anyway).
		const badReversals = await sql<{ id: string }>(
			`select r.id from mileage_event r join mileage_event e on e.id = r.reverses_event_id
			 where r.delta <> -e.delta or r.user_id <> e.user_id or r.guild_id <> e.guild_id or e.reason = 'reversal'`
		);
		expect(badReversals).toEqual([]);

		// The totals are an exact cache: rebuilding them from the ledger changes nothing.
		for (const guildId of GUILDS) expect((await rebuildTotals(orm.em.fork(), guildId)).changed, guildId).toBe(0);

		totals.batches += batches.length;
		totals.committedButFailed += plan.committedButFailed;
		totals.rolledBack += plan.rolledBack;
	} finally {
		for (const s of [service, ...started]) await s.stop(0).catch(() => undefined);
		await rm(spillDir, { recursive: true, force: true });
	}
}

describe('mileage ledger invariants', () => {
	it('GIVEN arbitrary awards, flushes, failures before and after commit, restarts, adjusts, reversals and imports THEN every total equals its ledger, exactly the points given, no batch twice, rebuild changes nothing', async () => {
		const started = performance.now();
		await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), runSequence), {
			numRuns: Number(process.env.MILEAGE_INVARIANT_RUNS ?? 100),
			interruptAfterTimeLimit: 50_000,
			markInterruptAsFailure: false
		});
		const seconds = (performance.now() - started) / 1_000;
		// The runs did exercise the failure paths they claim to.
		expect(runs).toBeGreaterThanOrEqual(50);
		expect(totals.committedButFailed).toBeGreaterThan(0);
		expect(totals.spilled).toBeGreaterThan(0);
		for (const outcome of [
			'reversed',
			MileageIdentifiers.AlreadyReversed,
			MileageIdentifiers.ReversalOfReversal,
			MileageIdentifiers.UnknownEvent
		]) {
			expect(totals.reversals[outcome] ?? 0, outcome).toBeGreaterThan(0);
		}
		console.info(`mileage invariants: ${runs} runs in ${seconds.toFixed(1)} s`, totals);
	}, 60_000);
});
