import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/core/database/config.ts';
import { plugins as builtInPlugins } from '../../../src/plugins/index.ts';
import { Emulator } from '../../../src/sandbox/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { createScratchDatabase, query, type ScratchDatabase } from '../../helpers/postgres.ts';
import { jsonLines, ROOT, type RunningProcess, runNode } from '../../helpers/process.ts';
import { sleep } from '../../helpers/sandbox.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

/*
 * SIGTERM while 1,000 messages stream in, against a spawned bot (src/main.ts): it exits 0 and every message it
 * handled is in the ledger; with the database cut at that moment, the batch is spilled to DATA_DIR and the next
 * start applies it.
 */

// Loaded into the bot with --import: counts, independently of Facet, the MESSAGE_CREATE packets the client took in
// and the messageCreate events it emitted (after its listeners ran), and prints both when the process exits.
const PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
const { Client } = require('discord.js');
let raw = 0;
let handled = 0;
const emit = Client.prototype.emit;
Client.prototype.emit = function (event, ...args) {
	if (event === 'raw' && args[0]?.t === 'MESSAGE_CREATE') raw++;
	const result = emit.call(this, event, ...args);
	if (event === 'messageCreate') handled++;
	return result;
};
process.on('exit', () => process.stderr.write(JSON.stringify({ probe: 'messages', raw, handled }) + '\\n'));
`;

let db: ScratchDatabase;
let proxy: TcpProxy;
let emulator: Emulator;
let dataDir: string;
let probePath: string;
const running: RunningProcess[] = [];

beforeAll(async () => {
	db = await createScratchDatabase('facet_mileage_sigterm');
	dataDir = await mkdtemp(join(tmpdir(), 'facet-mileage-sigterm-'));
	probePath = join(dataDir, 'probe.mjs');
	await writeFile(probePath, PROBE);
	// Schema and settings before the bot starts: every message counts (no cooldown, no minimum length).
	const orm = await MikroORM.init(createOrmConfig({ clientUrl: db.url, plugins: builtInPlugins, poolMax: 2 }));
	await orm.migrator.up();
	await orm.close();
	emulator = new Emulator({ port: await freePort() });
	await emulator.start();
	await query(db.url, `insert into core_plugin_state (guild_id, plugin, enabled, settings) values ($1, 'mileage', true, $2)`, [
		emulator.seed.guildId,
		JSON.stringify({ cooldownSeconds: 0, minMessageLength: 0 })
	]);
	proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
}, 60_000);

afterAll(async () => {
	for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
	await emulator?.stop();
	await proxy?.close();
	await db?.drop();
	if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startBot(name: string): Promise<RunningProcess> {
	const proc = runNode(['--import', pathToFileURL(probePath).href, 'src/main.ts'], {
		EMULATOR_URL: emulator.baseUrl,
		DATABASE_URL: proxy.rewrite(db.url),
		DATA_DIR: dataDir,
		API_PORT: String(await freePort()),
		API_HOST: '127.0.0.1',
		LOG_FORMAT: 'json',
		LOG_LEVEL: 'debug',
		MILEAGE_FLUSH_INTERVAL_MS: '500',
		TASKS_QUEUE: `facet-test-mileage-sigterm-${process.pid}-${name}`
	});
	running.push(proc);
	await proc.waitFor(/Facet is ready/, 45_000);
	return proc;
}

const connected = () => emulator.snapshot().gateway.connected_shards.length > 0;

/**
 * Streams messages from five members (20 every 40 ms, so flushes happen on the way) and sends SIGTERM once `signalAfter` are out and
 * `signalWhen` (if given) holds, then keeps streaming while the bot's socket is open, up to `total`. Returns how many were sent while it
 * was connected.
 */
async function streamAndTerminate(
	proc: RunningProcess,
	total: number,
	signalAfter: number,
	{ signalWhen, beforeSignal }: { signalWhen?: () => Promise<boolean>; beforeSignal?: () => void } = {}
) {
	const { seed } = emulator;
	const members = [seed.users.ada, seed.users.grace, seed.users.linus, seed.users.margaret, seed.users.alan];
	let sent = 0;
	let signalled = 0;
	while (sent < total && connected()) {
		for (let i = 0; i < 20 && sent < total; i++, sent++) {
			emulator.sendMessage({ guild_id: seed.guildId, channel_id: seed.channels.general, user_id: members[sent % 5]!, content: `m${sent}` });
		}
		if (!signalled && sent >= signalAfter && (!signalWhen || (await signalWhen()))) {
			beforeSignal?.();
			proc.child.kill('SIGTERM');
			signalled = performance.now();
		}
		await sleep(40);
	}
	if (!signalled) {
		proc.child.kill('SIGKILL');
		throw new Error(`the condition for SIGTERM never held while ${sent} messages went out`);
	}
	const exit = await proc.exited;
	return { sent, exit, exitMs: performance.now() - signalled };
}

function probe(proc: RunningProcess): { raw: number; handled: number } {
	const line = proc.lines.find((l) => l.startsWith('{"probe":"messages"'));
	if (!line) throw new Error(`no probe line; output:\n${proc.lines.slice(-30).join('\n')}`);
	return JSON.parse(line);
}

const ledgerPoints = async () =>
	Number(
		(
			await query<{ points: string | null }>(
				db.url,
				`select sum(delta) as points from mileage_event where guild_id = $1 and reason = 'message'`,
				[emulator.seed.guildId]
			)
		)[0]?.points ?? 0
	);

describe('SIGTERM while messages stream in', () => {
	it('GIVEN 1,000 messages streaming and SIGTERM in the middle THEN exit 0 and every message the bot handled is in the ledger', async () => {
		const proc = await startBot('first');
		const { sent, exit, exitMs } = await streamAndTerminate(proc, 1_000, 500);
		expect(exit.code, proc.lines.slice(-30).join('\n')).toBe(0);
		expect(proc.lines.join('\n')).toContain('shutdown complete');
		const counts = probe(proc);
		// It handled every MESSAGE_CREATE its client took in. Frames still in flight when discord.js closed the socket
		// are not among them: discord.js drops what arrives once it starts closing (and Discord does not resend after a
		// 1000 close), so the count is "received", as the probe saw it, not "sent".
		expect(counts.handled).toBe(counts.raw);
		expect(counts.handled).toBeGreaterThan(400);
		expect(counts.handled).toBeLessThanOrEqual(sent);
		// Nothing lost: exactly one point per handled message (no cooldown, one point each).
		expect(await ledgerPoints()).toBe(counts.handled);
		console.info(
			`SIGTERM: ${sent} sent while connected, ${counts.raw} received, ${counts.handled} handled, ledger ${counts.handled} ` +
				`(${sent - counts.raw} in flight at the close); exit 0 in ${Math.round(exitMs)} ms`
		);
	}, 60_000);

	it('GIVEN the database cut at SIGTERM THEN the batch is spilled to DATA_DIR/mileage-pending, exit 0, and the next start applies it exactly once', async () => {
		const before = await ledgerPoints();
		const proc = await startBot('cut');
		// The cut waits for a flush to have reached the ledger (under load the first can come late), so that the test
		// sees both halves: points written before the cut and the rest spilled.
		const { sent, exit } = await streamAndTerminate(proc, 1_000, 500, {
			signalWhen: async () => (await ledgerPoints()) > before,
			beforeSignal: () => proxy.cut()
		});
		expect(exit.code, proc.lines.slice(-30).join('\n')).toBe(0);
		const counts = probe(proc);
		expect(counts.handled).toBe(counts.raw);
		const logs = jsonLines(proc.lines);
		expect(logs.some((line) => String(line.msg).startsWith('database unavailable at shutdown'))).toBe(true);
		const spilled = (await readdir(join(dataDir, 'mileage-pending'))).filter((file) => file.endsWith('.json'));
		expect(spilled.length).toBeGreaterThan(0);
		// Flushes before the cut wrote their points; the rest waited on disk.
		const flushedBeforeCut = (await ledgerPoints()) - before;
		expect(flushedBeforeCut).toBeGreaterThan(0);
		expect(flushedBeforeCut).toBeLessThan(counts.handled);

		proxy.restore();
		const next = await startBot('after-cut');
		expect(jsonLines(next.lines).filter((line) => line.msg === 'spilled mileage batch recovered')).toHaveLength(spilled.length);
		expect((await readdir(join(dataDir, 'mileage-pending'))).filter((file) => file.endsWith('.json'))).toEqual([]);
		expect((await ledgerPoints()) - before).toBe(counts.handled);
		next.child.kill('SIGTERM');
		expect((await next.exited).code).toBe(0);
		// Applied once: restarting again changes nothing.
		expect((await ledgerPoints()) - before).toBe(counts.handled);
		console.info(
			`SIGTERM with the database cut: ${sent} sent, ${counts.handled} handled, ${flushedBeforeCut} flushed before the cut, ` +
				`${spilled.length} batch(es) spilled and applied at the next start`
		);
	}, 60_000);
});
