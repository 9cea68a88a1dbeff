// The soak (`npm run soak -- --minutes 10`, see bench/soak.ts): Facet runs in the sandbox (strict emulator, real PostgreSQL and Redis)
// while simulated members chat, react, join and run commands at a steady rate, with 429s and gateway
// disconnects injected through the faults API. It prints a JSON report and exits 1 when a bound is broken:
// invalid requests under 1% of the ban threshold, no interaction past its 3-second deadline, every event the
// bot was sent handled, and every mileage point in the ledger. test/soak/soak.test.ts runs it for one minute.
import { Writable } from 'node:stream';
import { container } from '@sapphire/framework';
import { parseEnv } from '../src/core/env.ts';
import { createLogger } from '../src/core/logger.ts';
import { plugins } from '../src/plugins/index.ts';
import type { Emulator } from '../src/sandbox/index.ts';
import { startSandboxFacet } from '../test/helpers/facet.ts';
import { freePort } from '../test/helpers/ports.ts';
import { createScratchDatabase, query } from '../test/helpers/postgres.ts';
import { interact, sleep } from '../test/helpers/sandbox.ts';

/** What the simulated members do per second. */
export interface SoakRates {
	messages: number;
	reactions: number;
	joins: number;
	commands: number;
}

/** Options of {@link runSoak}. */
export interface SoakOptions {
	minutes: number;
	rates?: Partial<SoakRates>;
	/** Seconds between injected REST 429s. @default 10 */
	rest429EverySeconds?: number;
	/** Seconds between gateway faults (4000 close, 1006 cut, zombie, in turn). @default min(45, a quarter of the run) */
	gatewayFaultEverySeconds?: number;
	/** Progress lines (one per 30 s); silent when absent. */
	log?: (line: string) => void;
}

/** The soak's counts. */
export interface SoakReport {
	minutes: number;
	sent: { messages: number; reactions: number; joins: number; commands: number };
	handled: { messages: number; reactions: number; joins: number };
	commands: {
		answered: number;
		/** Commands not run because a gateway fault was being recovered from (Discord could not deliver them either). */
		skipped_during_outage: number;
		failed: number;
		failures: string[];
		late_callbacks: number;
		max_ack_ms: number;
		acknowledged: number;
	};
	mileage: { expected: number; ledger: number };
	faults: { rest_429_injected: number; rest_429_served: number; gateway: Record<string, number> };
	rest: {
		requests: number;
		/** Invalid requests (401/403/429) the emulator counted in its 10-minute window at the end, injected 429s included. */
		invalid_in_window: number;
		invalid_total: number;
		/** 429s Facet ran into that were not injected (bucket or global). */
		rate_limited_not_injected: number;
		global_limited: number;
		banned: boolean;
		ban_threshold: number;
	};
	gateway: {
		identifies: number;
		resumes: number;
		send_rate_limit_closes: number;
		identify_concurrency_refused: number;
		token_reset: boolean;
	};
	errors_logged: number;
}

const DEFAULT_RATES: SoakRates = { messages: 8, reactions: 2, joins: 0.25, commands: 1 };

/** The bounds the soak enforces; each broken one is a line. */
export function violations(report: SoakReport): string[] {
	const broken: string[] = [];
	const invalidBound = report.rest.ban_threshold / 100;
	if (report.rest.invalid_in_window >= invalidBound) {
		broken.push(`invalid requests ${report.rest.invalid_in_window} in 10 minutes, bound ${invalidBound} (1% of the ban threshold)`);
	}
	if (report.rest.banned) broken.push('the token was banned for invalid requests');
	if (report.commands.late_callbacks > 0) broken.push(`${report.commands.late_callbacks} interactions missed the 3-second deadline`);
	if (report.commands.failed > 0)
		broken.push(`${report.commands.failed} commands got no answer: ${report.commands.failures.slice(0, 3).join('; ')}`);
	for (const kind of ['messages', 'reactions', 'joins'] as const) {
		if (report.handled[kind] !== report.sent[kind]) broken.push(`${kind}: ${report.sent[kind]} sent, ${report.handled[kind]} handled`);
	}
	if (report.mileage.ledger !== report.mileage.expected) {
		broken.push(`mileage: ${report.mileage.expected} points expected, ${report.mileage.ledger} in the ledger`);
	}
	if (report.gateway.send_rate_limit_closes > 0)
		broken.push(`${report.gateway.send_rate_limit_closes} gateway connections closed with 4008`);
	if (report.gateway.token_reset) broken.push('the session start limit ran out (token reset)');
	return broken;
}

/** Runs Facet under the soak load for `minutes` and returns the counts (it does not judge them: see {@link violations}). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
	const rates = { ...DEFAULT_RATES, ...options.rates };
	const durationMs = Math.round(options.minutes * 60_000);
	const rest429Ms = (options.rest429EverySeconds ?? 10) * 1000;
	const gatewayFaultMs = (options.gatewayFaultEverySeconds ?? Math.min(45, (options.minutes * 60) / 4)) * 1000;
	const log = options.log ?? (() => {});

	const db = await createScratchDatabase('facet_soak');
	let errorsLogged = 0;
	const destination = new Writable({
		write(chunk, _encoding, callback) {
			for (const line of chunk.toString('utf8').split('\n')) {
				if (!line) continue;
				const level = (JSON.parse(line) as { level?: number }).level ?? 0;
				if (level >= 50) {
					errorsLogged++;
					log(`bot error: ${line.slice(0, 400)}`);
				}
			}
			callback();
		}
	});
	const env = parseEnv(
		{
			DATABASE_URL: db.url,
			REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
			API_PORT: String(await freePort()),
			API_HOST: '127.0.0.1',
			EMULATOR_PORT: String(await freePort()),
			LOG_LEVEL: 'warn',
			LOG_FORMAT: 'json',
			NODE_ENV: 'test',
			TASKS_QUEUE: `facet-soak-${process.pid}-${Date.now()}`,
			MILEAGE_FLUSH_INTERVAL_MS: '1000'
		},
		plugins
	);
	const handle = await startSandboxFacet({ env, plugins, logger: createLogger({ level: env.LOG_LEVEL, format: 'json', destination }) });
	const emulator: Emulator = handle.emulator;
	const { seed } = emulator;
	try {
		const actor = { id: seed.users.ada, source: 'api' as const };
		// Every activity earns: the expected points are then a plain count.
		await container.plugins.updateSettings(seed.guildId, 'mileage', { cooldownSeconds: 0, minMessageLength: 0 }, actor);
		// Joins make the bot post welcome messages: its own REST traffic through the message buckets.
		await container.plugins.updateSettings(seed.guildId, 'config', { welcomeChannel: seed.channels.welcome }, actor);
		const settings = container.plugins.settings<{ perMessage: number; perReaction: number; perJoin: number }>(seed.guildId, 'mileage');

		const handled = { messages: 0, reactions: 0, joins: 0 };
		const client = handle.client;
		client.on('messageCreate', (message) => {
			if (!message.author.bot && message.guildId === seed.guildId) handled.messages++;
		});
		client.on('messageReactionAdd', () => void handled.reactions++);
		client.on('guildMemberAdd', () => void handled.joins++);

		const members = [seed.users.ada, seed.users.grace, seed.users.linus, seed.users.margaret, seed.users.alan];
		const sent = { messages: 0, reactions: 0, joins: 0, commands: 0 };
		const recent: Array<{ id: string; author: string }> = [];
		const commandResults: Array<Promise<void>> = [];
		const failures: string[] = [];
		let answered = 0;
		let commandsPaused = false;
		let commandSlots = 0;
		let skippedCommands = 0;
		/** Commands sent to the control API and not answered yet (their INTERACTION_CREATE may not be dispatched yet). */
		let inFlight = 0;
		const injected = { rest429: 0, gateway: {} as Record<string, number> };
		const ledgerBefore = await ledger(db.url, seed.guildId);
		const identifiesBefore = emulator.stats.identifies;

		const started = Date.now();
		const due = { messages: 0, reactions: 0, joins: 0, commands: 0 };
		let next429 = started + rest429Ms;
		let nextGatewayFault = started + gatewayFaultMs;
		let faultTurn = 0;
		let nextLog = started + 30_000;
		let tick = 0;
		while (Date.now() - started < durationMs) {
			const elapsed = (Date.now() - started) / 1000;
			for (const kind of ['messages', 'reactions', 'joins', 'commands'] as const) due[kind] = Math.floor(elapsed * rates[kind]);
			while (sent.messages < due.messages) {
				const author = members[(sent.messages + tick) % members.length] ?? seed.users.ada;
				const message = emulator.sendMessage({
					guild_id: seed.guildId,
					channel_id: seed.channels.general,
					user_id: author,
					content: `soak message ${sent.messages}`
				});
				recent.push({ id: message.id as string, author });
				if (recent.length > 50) recent.shift();
				sent.messages++;
			}
			while (sent.reactions < due.reactions) {
				// A fresh (message, member) pair each time, so every reaction is an add Discord would dispatch.
				const target = recent[recent.length - 1 - (sent.reactions % Math.max(1, recent.length))];
				const reactor = members.find((m) => m !== target?.author) ?? seed.users.grace;
				if (!target) break;
				emulator.addReaction({
					guild_id: seed.guildId,
					channel_id: seed.channels.general,
					message_id: target.id,
					user_id: reactor,
					emoji: ['👍', '🎉', '🚀', '👀', '❤️'][sent.reactions % 5] ?? '👍'
				});
				sent.reactions++;
			}
			while (sent.joins < due.joins) {
				const joined = emulator.joinMember({ guild_id: seed.guildId, username: `soak_${process.pid}_${sent.joins}` });
				members.push(joined.user ? (joined.user as { id: string }).id : seed.users.ada);
				sent.joins++;
			}
			while (commandSlots < due.commands) {
				const n = commandSlots++;
				if (commandsPaused) {
					skippedCommands++;
					continue;
				}
				sent.commands++;
				inFlight++;
				const user = members[n % members.length] ?? seed.users.ada;
				const command = n % 2 === 0 ? 'mileage show' : 'mileage leaderboard';
				commandResults.push(
					interact(emulator, { user, command })
						.then(
							(result) => {
								if (result.status === 200) answered++;
								else failures.push(`${command} as ${user}: ${result.status} ${JSON.stringify(result.body).slice(0, 200)}`);
							},
							(error: unknown) => void failures.push(`${command}: ${String(error)}`)
						)
						.finally(() => {
							inFlight--;
						})
				);
			}

			const now = Date.now();
			if (now >= next429) {
				const route = ['/messages', '/webhooks/', '/guilds/'][injected.rest429 % 3] ?? '/messages';
				emulator.injectFault({ kind: 'rest_429', route, count: 1, retry_after: 0.5 });
				injected.rest429++;
				next429 += rest429Ms;
			}
			if (now >= nextGatewayFault && !commandsPaused) {
				const kind = (['close_4000', 'cut_1006', 'zombie'] as const)[faultTurn++ % 3] ?? 'close_4000';
				// An interaction that reaches a dead connection cannot be acknowledged in time, on Discord as here: the
				// commands pause, the ones under way are answered first, and they resume once the session is resumed.
				// Messages, reactions and joins go on throughout: the session buffers them and the RESUME replays them.
				commandsPaused = true;
				void (async () => {
					await waitFor(() => inFlight === 0, 30_000);
					const resumes = emulator.stats.resumes;
					if (kind === 'zombie') emulator.injectFault({ kind: 'gateway_zombie' });
					else emulator.injectFault({ kind: 'gateway_disconnect', close_code: kind === 'cut_1006' ? 1006 : 4000 });
					injected.gateway[kind] = (injected.gateway[kind] ?? 0) + 1;
					await waitFor(() => emulator.stats.resumes > resumes, 60_000);
					commandsPaused = false;
				})();
				nextGatewayFault += gatewayFaultMs;
			}
			if (now >= nextLog) {
				log(`${Math.round(elapsed)} s: ${JSON.stringify(sent)} handled ${JSON.stringify(handled)}`);
				nextLog += 30_000;
			}
			tick++;
			await sleep(100);
		}
		log('load stopped; waiting for the last answers, events and flushes');
		await Promise.all(commandResults);
		const expected = sent.messages * settings.perMessage + sent.reactions * settings.perReaction + sent.joins * settings.perJoin;
		await waitFor(() => handled.messages === sent.messages && handled.reactions === sent.reactions && handled.joins === sent.joins, 30_000);
		let stored = 0;
		await waitFor(async () => {
			stored = (await ledger(db.url, seed.guildId)) - ledgerBefore;
			return stored >= expected;
		}, 30_000);

		const state = emulator.snapshot();
		// An armed 429 fires only when a matching request comes; the ones still armed were never served.
		const served429 = injected.rest429 - state.faults.pending;
		return {
			minutes: options.minutes,
			sent,
			handled,
			commands: {
				answered,
				skipped_during_outage: skippedCommands,
				failed: failures.length,
				failures,
				late_callbacks: state.interactions.late,
				max_ack_ms: state.interactions.max_ack_ms,
				acknowledged: state.interactions.acknowledged
			},
			mileage: { expected, ledger: stored },
			faults: { rest_429_injected: injected.rest429, rest_429_served: served429, gateway: injected.gateway },
			rest: {
				requests: emulator.stats.restRequests,
				invalid_in_window: state.rest.invalid_requests.count,
				invalid_total: state.rest.invalid_requests.total,
				rate_limited_not_injected: emulator.stats.rateLimited - served429,
				global_limited: state.rest.global_limited,
				banned: state.rest.banned_until !== null,
				ban_threshold: state.rest.invalid_requests.limit
			},
			gateway: {
				identifies: emulator.stats.identifies - identifiesBefore,
				resumes: emulator.stats.resumes,
				send_rate_limit_closes: state.gateway.limits.send_rate_limit_closes,
				identify_concurrency_refused: state.gateway.limits.identify_concurrency_refused,
				token_reset: state.gateway.limits.token_reset
			},
			errors_logged: errorsLogged
		};
	} finally {
		await handle.shutdown.run('soak finished');
		await db.drop();
	}
}

/** Points of the message, reaction and join awards in the ledger of one guild. */
async function ledger(url: string, guildId: string): Promise<number> {
	const rows = await query<{ points: string | null }>(
		url,
		`select sum(delta) as points from mileage_event where guild_id = $1 and reason in ('message', 'reaction', 'join')`,
		[guildId]
	);
	return Number(rows[0]?.points ?? 0);
}

/** Polls `ok` every 100 ms until it holds or `timeoutMs` passes (then returns, the report shows the difference). */
async function waitFor(ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (await ok()) return true;
		await sleep(100);
	}
	return false;
}
