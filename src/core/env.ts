import { isIP } from 'node:net';
import { z } from 'zod';

/** Where the bot runs: the offline sandbox (no token) or real Discord. */
export type FacetMode = 'sandbox' | 'discord';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
const optionalString = z
	.string()
	.optional()
	.transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const urlWithProtocol = (protocols: string[]) =>
	z.string().refine(
		(value) => {
			try {
				return protocols.includes(new URL(value).protocol);
			} catch {
				return false;
			}
		},
		`must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`
	);

/**
 * Which proxies the API trusts to report the client: none (the socket's address is the client), a number of
 * hops (the proxies in front of the API, nearest first: `true` is one), or the proxies' own addresses and CIDRs.
 */
export type TrustProxySetting = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'cidrs'; cidrs: readonly string[] };

/** Most proxy hops a deployment may declare; more is a typo, not an architecture. */
const MAX_PROXY_HOPS = 16;

/**
 * Parses `API_TRUST_PROXY`: `false`/`0`/empty, `true` (= 1 hop), a hop count, or a comma list of addresses and
 * CIDRs. Returns the setting, or a message that names what is wrong without repeating the value.
 */
export function parseTrustProxy(raw: string): TrustProxySetting | string {
	const value = raw.trim().toLowerCase();
	if (value === '' || value === 'false' || value === '0') return { kind: 'none' };
	if (value === 'true') return { kind: 'hops', hops: 1 };
	if (/^\d+$/.test(value)) {
		const hops = Number(value);
		return hops <= MAX_PROXY_HOPS ? { kind: 'hops', hops } : `a hop count must be 0 to ${MAX_PROXY_HOPS}`;
	}
	const cidrs = value
		.split(',')
		.map((entry) => entry.trim())
		.filter(Boolean);
	const bad = cidrs.findIndex((entry) => !isAddressOrCidr(entry));
	if (cidrs.length === 0 || bad >= 0)
		return `must be true, false, a hop count, or a comma list of IP addresses/CIDRs (entry ${bad + 1} is neither)`;
	return { kind: 'cidrs', cidrs };
}

function isAddressOrCidr(entry: string): boolean {
	const [address = '', prefix, extra] = entry.split('/');
	const family = isIP(address);
	if (family === 0 || extra !== undefined) return false;
	if (prefix === undefined) return true;
	return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** What a process does: everything (one process), hold gateway shards, serve the API, or run the BullMQ queues. */
export const FacetRoles = ['all', 'bot', 'api', 'worker'] as const;
export type FacetRole = (typeof FacetRoles)[number];

/** Most shards one deployment may declare (Discord assigns far fewer below very large bots). */
const MAX_SHARDS = 4_096;

/**
 * Parses `SHARD_IDS`: a comma list of shard ids and inclusive ranges (`0,2,4-7`), sorted, without duplicates.
 * Returns the ids, or a message naming what is wrong.
 */
export function parseShardIds(raw: string): number[] | string {
	const ids = new Set<number>();
	for (const part of raw.split(',').map((entry) => entry.trim())) {
		const match = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
		if (!match) return 'must be shard ids and ranges, e.g. 0,2,4-7';
		const from = Number(match[1]);
		const to = match[2] === undefined ? from : Number(match[2]);
		if (to < from) return `range ${part} runs backwards`;
		if (to >= MAX_SHARDS) return `shard ids go up to ${MAX_SHARDS - 1}`;
		for (let id = from; id <= to; id++) ids.add(id);
	}
	return [...ids].sort((a, b) => a - b);
}

/** The schema of every environment variable Facet reads. Defaults live here and nowhere else. */
export const EnvSchema = z.object({
	NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
	/** What this process does (see {@link FacetRole}): `all` is the single-process bot; unset → all. */
	FACET_ROLE: z.enum(FacetRoles).default('all'),
	/** Shards of the whole bot: a number, or `auto` (Discord's recommendation from `GET /gateway/bot`). Unset → 1 shard, or auto with SHARD_IDS unset. */
	SHARD_COUNT: z
		.string()
		.optional()
		.transform((value, context) => {
			const text = value?.trim().toLowerCase() ?? '';
			if (text === '') return undefined;
			if (text === 'auto') return 'auto' as const;
			if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_SHARDS) {
				context.addIssue({ code: 'custom', message: `must be auto or a whole number from 1 to ${MAX_SHARDS}` });
				return z.NEVER;
			}
			return Number(text);
		}),
	/** Shards this process holds, e.g. `0-3` or `0,2`; unset → every shard of SHARD_COUNT. Needs a numeric SHARD_COUNT. */
	SHARD_IDS: z
		.string()
		.optional()
		.transform((value, context) => {
			if (value === undefined || value.trim() === '') return undefined;
			const ids = parseShardIds(value);
			if (typeof ids === 'string') {
				context.addIssue({ code: 'custom', message: ids });
				return z.NEVER;
			}
			return ids;
		}),
	/**
	 * Port of the process's own `/livez`, `/readyz` and `/metrics`, for every role (0 = a free port, logged). Unset →
	 * 8788 for the `bot` and `worker` roles (which never bind API_PORT); `all` and `api` serve them on the API only.
	 */
	OPS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
	/**
	 * Keep each shard's gateway session in Redis so a restarted process RESUMEs (docs/scale-out.md). `auto`: on for the
	 * `bot` role, off for `all` — a RESUME brings no voice states, so a single process would stop crediting members
	 * already in voice after a restart (a known gap, see the doc); turn it on there when that trade is right.
	 */
	GATEWAY_KEEP_SESSIONS: z.enum(['auto', 'true', 'false']).default('auto'),
	/** A process does not IDENTIFY while Discord reports fewer session starts remaining than this; it waits for the reset. */
	GATEWAY_MIN_SESSION_STARTS: z.coerce.number().int().min(0).max(1_000_000).default(10),
	/** How often the durable gateway checkpoint of each shard is written to Redis (it is also written after each mileage flush and at shutdown). */
	GATEWAY_CHECKPOINT_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
	DISCORD_TOKEN: optionalString,
	DISCORD_CLIENT_ID: optionalString,
	DISCORD_CLIENT_SECRET: optionalString,
	DATABASE_URL: optionalString.pipe(urlWithProtocol(['postgres:', 'postgresql:']).optional()),
	/** Longest a query may run (server `statement_timeout`; the client stops waiting 200 ms later and drops the connection). */
	DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(1_500),
	/**
	 * Apply pending migrations at start (default). `false` when a one-shot `node dist/migrate.js` runs them before
	 * the bot starts (compose's migrate service): the start then refuses to run while any is pending.
	 */
	MIGRATE_ON_START: z
		.enum(['true', 'false', '1', '0', ''])
		.default('true')
		.transform((value) => value !== 'false' && value !== '0'),
	/** Longest wait for a database connection (a free pooled one, or a new one to connect). */
	DATABASE_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(1_000),
	REDIS_URL: urlWithProtocol(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
	API_PORT: port(8787),
	API_HOST: z.string().min(1).default('0.0.0.0'),
	EMULATOR_PORT: port(8790),
	/** Sandbox only: connect to an emulator already running elsewhere (another bot process, tests) instead of starting one. */
	EMULATOR_URL: optionalString.pipe(urlWithProtocol(['http:', 'https:']).optional()),
	/**
	 * With a token: the REST base of the Discord-compatible server to use instead of Discord (a staging proxy, a
	 * self-hosted implementation), as discord.js takes it, e.g. `https://staging.example/api`. Unset → Discord.
	 */
	DISCORD_API_URL: optionalString.pipe(urlWithProtocol(['http:', 'https:']).optional()),
	/** BullMQ queue of scheduled tasks; processes sharing it run each job once. */
	TASKS_QUEUE: z
		.string()
		.regex(/^[\w:-]{1,64}$/, 'letters, digits, _ - : only')
		.default('facet-tasks'),
	/** When set, `GET /metrics` requires `Authorization: Bearer <METRICS_TOKEN>`. */
	METRICS_TOKEN: optionalString,
	DATA_DIR: z.string().min(1).default('./data'),
	/**
	 * Comma-separated plugins loaded after the built-in list: npm package names (resolved from the working folder,
	 * then Facet's own) or paths of plugin entry modules. Read raw before this schema (plugins extend it).
	 */
	FACET_PLUGINS: optionalString,
	/** Older name of FACET_PLUGINS for paths only (plugin development, tests); both are read. */
	FACET_EXTRA_PLUGINS: optionalString,
	LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
	LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
	SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
	/** Milliseconds after ready when the process runs one memory-reducing GC (src/core/memory.ts); 0 = never. */
	MEMORY_COMPACT_AFTER_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
	/** A start not READY after this long is logged as an error (with the last close code), again every period; it keeps retrying. */
	GATEWAY_READY_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3_600).default(60),
	/** How often each process compares the plugin-state version in Redis with its own (a missed announcement converges within this). */
	PLUGIN_STATE_CHECK_SECONDS: z.coerce.number().min(0.2).max(3_600).default(30),
	/** Derives the key that seals session cookies (AES-256-GCM). Unset in the sandbox → a random key per process. */
	SESSION_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
	/** Lifetime of a dashboard session (capped by the OAuth token's own lifetime). */
	SESSION_TTL_SECONDS: z.coerce
		.number()
		.int()
		.min(60)
		.max(30 * 86_400)
		.default(7 * 86_400),
	/** Where browsers reach the API (OAuth redirect URI, `Secure` cookies when https). Unset → http://localhost:API_PORT. */
	API_PUBLIC_URL: optionalString.pipe(urlWithProtocol(['http:', 'https:']).optional()),
	/** The dashboard's origin: the only CORS origin granted, and where a login lands. Unset → API_PUBLIC_URL's origin. */
	DASHBOARD_ORIGIN: optionalString.pipe(urlWithProtocol(['http:', 'https:']).optional()),
	/**
	 * Folder of the built dashboard the API serves at `/` (the SPA; API routes always win). Unset → the sandbox
	 * serves `dashboard/dist` of this checkout; with a token nothing is served (nginx serves the files).
	 */
	DASHBOARD_DIR: optionalString,
	/** Sandbox: build `dashboard/dist` on start when it is missing or older than its sources (`npm run dev` turns it off: Vite serves). */
	DASHBOARD_BUILD: z
		.enum(['true', 'false', '1', '0', ''])
		.default('true')
		.transform((value) => value !== 'false' && value !== '0'),
	/** Discord's web base for OAuth2 (`/oauth2/authorize`, `/api/v10/...`). Unset → the REST base the bot uses, without `/api`. */
	DISCORD_BASE_URL: optionalString.pipe(urlWithProtocol(['http:', 'https:']).optional()),
	/**
	 * Longest time a dashboard user who lost the right to manage a guild (role removed, permission changed) can still
	 * use it: the bot re-reads the member from Discord when its copy is older than this, and an open dashboard page
	 * asks again this often. At most 60 s; lower it only for tests.
	 */
	API_ACCESS_RECHECK_SECONDS: z.coerce.number().min(0.5).max(60).default(30),
	/** Requests per window per session (or per IP without a session). */
	API_RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(120),
	API_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
	/** Which reverse proxies in front of the API may speak through `X-Forwarded-For`/`X-Forwarded-Proto` (see {@link TrustProxySetting}). */
	API_TRUST_PROXY: z
		.string()
		.default('false')
		.transform((value, context) => {
			const setting = parseTrustProxy(value);
			if (typeof setting === 'string') {
				context.addIssue({ code: 'custom', message: setting });
				return z.NEVER;
			}
			return setting;
		})
});

/** Parsed, validated environment. */
export type Env = z.infer<typeof EnvSchema> & { mode: FacetMode };

/** Thrown when the environment is invalid; the message names every bad variable. */
export class EnvError extends Error {
	public readonly issues: string[];

	public constructor(issues: string[]) {
		super(`Invalid environment:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
		this.name = 'EnvError';
		this.issues = issues;
	}
}

/** A plugin's contribution to the environment: its own variables, prefixed with its name. */
export interface EnvContributor {
	name: string;
	env?: z.ZodObject;
}

/**
 * Parses the environment once: the core's variables and those the given plugins declare. Every missing or
 * invalid variable is reported together, never the value itself (it may be a secret).
 */
export function parseEnv(source: NodeJS.ProcessEnv = process.env, plugins: readonly EnvContributor[] = []): Env {
	const schema = plugins.reduce<z.ZodObject>((merged, plugin) => (plugin.env ? merged.extend(plugin.env.shape) : merged), EnvSchema);
	const result = schema.safeParse(source);
	if (!result.success) {
		const issues = result.error.issues.map((issue) => {
			const name = issue.path.join('.') || '(root)';
			return `${name}: ${issue.message}`;
		});
		throw new EnvError(issues);
	}
	const env = result.data as z.infer<typeof EnvSchema>;
	const mixed: string[] = [];
	if (env.DISCORD_TOKEN && env.EMULATOR_URL)
		mixed.push('EMULATOR_URL: is for the sandbox (no DISCORD_TOKEN); with a token, set DISCORD_API_URL to the server’s REST base');
	if (!env.DISCORD_TOKEN && env.DISCORD_API_URL)
		mixed.push('DISCORD_API_URL: needs DISCORD_TOKEN (without a token the sandbox runs; EMULATOR_URL joins a running emulator)');
	mixed.push(...shardProblems(env));
	if (mixed.length) throw new EnvError(mixed);
	return { ...env, mode: env.DISCORD_TOKEN ? 'discord' : 'sandbox' };
}

/** Sharding variables that are each valid but do not fit together. */
function shardProblems(env: z.infer<typeof EnvSchema>): string[] {
	const problems: string[] = [];
	const { SHARD_COUNT: count, SHARD_IDS: ids, FACET_ROLE: role } = env;
	if (ids && count === undefined) problems.push('SHARD_IDS: needs SHARD_COUNT (the number of shards of the whole bot)');
	if (ids && count === 'auto')
		problems.push('SHARD_IDS: needs a numeric SHARD_COUNT (with auto, Discord could change the count under a fixed list of ids)');
	if (ids && typeof count === 'number') {
		const outside = ids.filter((id) => id >= count);
		if (outside.length) problems.push(`SHARD_IDS: ${outside.join(', ')} outside SHARD_COUNT=${count} (ids run from 0 to ${count - 1})`);
	}
	if ((role === 'api' || role === 'worker') && (ids || count !== undefined))
		problems.push(`SHARD_IDS/SHARD_COUNT: the ${role} role holds no shards; set them on bot processes only`);
	return problems;
}

/** True for the roles that hold gateway shards (and so handle Discord's events). */
export const holdsGateway = (role: FacetRole) => role === 'all' || role === 'bot';
/** Whether gateway sessions are kept in Redis across restarts (see `GATEWAY_KEEP_SESSIONS`). */
export const keepsSessions = (env: { FACET_ROLE: FacetRole; GATEWAY_KEEP_SESSIONS: 'auto' | 'true' | 'false' }) =>
	holdsGateway(env.FACET_ROLE) && (env.GATEWAY_KEEP_SESSIONS === 'auto' ? env.FACET_ROLE === 'bot' : env.GATEWAY_KEEP_SESSIONS === 'true');
/** True for the roles that serve the HTTP API. */
export const servesApi = (role: FacetRole) => role === 'all' || role === 'api';
/** True for the roles that run the BullMQ queues (scheduled tasks). */
export const runsQueues = (role: FacetRole) => role === 'all' || role === 'worker';
