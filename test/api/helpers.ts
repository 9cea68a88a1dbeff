import { Writable } from 'node:stream';
import { container } from '@sapphire/framework';
import { parseEnv } from '../../src/core/env.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { PluginManifest } from '../../src/core/plugins/manifest.ts';
import { plugins as listedPlugins } from '../../src/plugins/index.ts';
import type { Emulator } from '../../src/sandbox/index.ts';
import { type SandboxFacet, startSandboxFacet } from '../helpers/facet.ts';
import { freePort } from '../helpers/ports.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/postgres.ts';
import { waitUntil } from '../helpers/sandbox.ts';

/** The dashboard origin every API test grants. */
export const DASHBOARD_ORIGIN = 'http://dashboard.test:5173';

/** A bot running in this process (sandbox mode, in-process emulator) with its log captured. */
export interface ApiBot {
	handle: SandboxFacet;
	emulator: Emulator;
	/** `http://127.0.0.1:<api port>`. */
	base: string;
	/** Every log line the run wrote (JSON). */
	logs: string[];
	db: ScratchDatabase;
	stop(): Promise<void>;
}

/** Starts Facet in sandbox mode on free ports against a scratch database; one per test file. */
export async function startApiBot(
	options: {
		env?: Record<string, string>;
		plugins?: PluginManifest[];
		/** Rewrites the scratch database's URL the bot connects to (e.g. through a TCP proxy a test can pause). */
		databaseUrl?: (url: string) => string;
	} = {}
): Promise<ApiBot> {
	const db = await createScratchDatabase('facet_api');
	const [apiPort, emulatorPort] = [await freePort(), await freePort()];
	const logs: string[] = [];
	const destination = new Writable({
		write(chunk, _encoding, callback) {
			logs.push(chunk.toString('utf8'));
			callback();
		}
	});
	const env = parseEnv(
		{
			DATABASE_URL: options.databaseUrl?.(db.url) ?? db.url,
			REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
			API_PORT: String(apiPort),
			API_HOST: '127.0.0.1',
			API_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
			DASHBOARD_ORIGIN,
			EMULATOR_PORT: String(emulatorPort),
			LOG_LEVEL: 'debug',
			LOG_FORMAT: 'json',
			TASKS_QUEUE: `facet-api-test-${process.pid}-${apiPort}`,
			...options.env
		},
		options.plugins ?? listedPlugins
	);
	const logger = createLogger({ level: env.LOG_LEVEL, format: 'json', destination });
	let handle: SandboxFacet;
	try {
		handle = await startSandboxFacet({ env, logger, ...(options.plugins ? { plugins: options.plugins } : {}) });
	} catch (error) {
		await db.drop();
		throw error;
	}
	// Readiness does not wait for the guild command sweep; tests run plugin commands at once, so they do.
	await waitUntil(
		() => container.commandSync.status().state,
		(state) => state === 'done',
		30_000
	);
	return {
		handle,
		emulator: handle.emulator,
		base: `http://127.0.0.1:${apiPort}`,
		logs,
		db,
		async stop() {
			await handle.shutdown.run('test finished');
			await db.drop();
		}
	};
}

/**
 * A browser-like HTTP client: a cookie jar for one origin (the API's), redirects followed by hand
 * (so each hop can be checked).
 */
export class Browser {
	readonly cookies = new Map<string, string>();
	readonly origin: string;
	/** Headers sent with every request to the API (e.g. an `X-Forwarded-For` of its own, for per-address rate limits). */
	readonly headers: Record<string, string>;

	public constructor(origin: string, headers: Record<string, string> = {}) {
		this.origin = new URL(origin).origin;
		this.headers = headers;
	}

	/** The `Cookie` header for the jar. */
	public cookieHeader(): string {
		return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
	}

	/** One request; stores `Set-Cookie` answers (a `Max-Age=0` one deletes). */
	public async fetch(url: string, init: RequestInit = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		const ours = new URL(url).origin === this.origin;
		if (!ours) return fetch(url, { ...init, headers, redirect: 'manual' });
		for (const [name, value] of Object.entries(this.headers)) if (!headers.has(name)) headers.set(name, value);
		if (this.cookies.size > 0 && !headers.has('cookie')) headers.set('cookie', this.cookieHeader());
		// A browser says where a write comes from: here a page of the API's own origin, unless the test says otherwise.
		const method = (init.method ?? 'GET').toUpperCase();
		if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && !headers.has('origin') && !headers.has('sec-fetch-site')) {
			headers.set('origin', this.origin);
			headers.set('sec-fetch-site', 'same-origin');
		}
		const response = await fetch(url, { ...init, headers, redirect: 'manual' });
		for (const line of response.headers.getSetCookie()) {
			const [pair] = line.split(';');
			const index = pair!.indexOf('=');
			const name = pair!.slice(0, index).trim();
			const value = pair!.slice(index + 1).trim();
			if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
			else this.cookies.set(name, value);
		}
		return response;
	}
}

/** What one login left behind: the browser (with its session cookie) and every secret seen on the way. */
export interface Login {
	browser: Browser;
	code: string;
	state: string;
	/** Where the API sent the browser (the emulator's authorize page). */
	authorizeUrl: string;
	sessionCookie: string;
	callback: Response;
}

/** The whole OAuth2 flow as a browser does it: API login → emulator authorize (login_as) → API callback. */
export async function login(bot: ApiBot, who: string, browser = new Browser(bot.base)): Promise<Login> {
	const start = await browser.fetch(`${bot.base}/oauth/login?login_as=${encodeURIComponent(who)}`);
	if (start.status !== 302) throw new Error(`login answered ${start.status}: ${await start.text()}`);
	const authorize = await browser.fetch(start.headers.get('location')!);
	if (authorize.status !== 302) throw new Error(`authorize answered ${authorize.status}: ${await authorize.text()}`);
	const back = new URL(authorize.headers.get('location')!);
	const callback = await browser.fetch(back.toString());
	if (callback.status !== 302) throw new Error(`callback answered ${callback.status}: ${await callback.text()}`);
	return {
		browser,
		code: back.searchParams.get('code')!,
		authorizeUrl: start.headers.get('location')!,
		state: back.searchParams.get('state')!,
		sessionCookie: browser.cookies.get('facet_session') ?? '',
		callback
	};
}
