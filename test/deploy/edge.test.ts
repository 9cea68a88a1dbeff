import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../src/core/api/static.ts';
import { type DashboardBot, startDashboardBot } from '../dashboard/helpers.ts';
import { freePort } from '../helpers/ports.ts';
import { ROOT, type RunningProcess, spawnLogged } from '../helpers/process.ts';
import { waitUntil } from '../helpers/sandbox.ts';

/*
 * A real edge: Debian's nginx runs the project's edge config (deploy/nginx/edge.conf) and the dashboard's
 * (deploy/dashboard/nginx.conf + security-headers.conf) on loopback ports, with a self-signed certificate for
 * api.facet.test and dashboard.facet.test, in front of a sandbox bot whose API trusts one proxy hop. Only the
 * ${NAME} values the images render (ports, upstreams, hosts, the certificate folder) and the container's fixed
 * paths are replaced; every directive is the file's own.
 */

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const API_HOST = 'api.facet.test';
const DASHBOARD_HOST = 'dashboard.facet.test';
const work = mkdtempSync(join(tmpdir(), 'facet-edge-'));
let nginx: RunningProcess | undefined;
let bot: DashboardBot;
let browser: Browser | undefined;
let httpsPort: number;
let httpPort: number;
let cert: string;
/** The dashboard built as deploy/dashboard/Dockerfile builds it: VITE_API_URL names the API's host. */
const dist = join(work, 'dist');

/**
 * Renders a config file the way the nginx image's template step does: every `${NAME}` from `values` (nginx's
 * own `$variables` have no braces and are left alone); a `${NAME}` left over fails the test.
 */
function render(file: string, values: Record<string, string>, paths: Record<string, string> = {}): string {
	let text = readFileSync(join(ROOT, file), 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_whole, name: string) => {
		if (!(name in values)) throw new Error(`${file}: no test value for \${${name}}`);
		return values[name]!;
	});
	for (const [from, to] of Object.entries(paths)) {
		if (!text.includes(from)) throw new Error(`${file} no longer mentions ${from}`);
		text = text.replaceAll(from, to);
	}
	return text;
}

interface Answer {
	status: number;
	headers: IncomingHttpHeaders;
	body: string;
}

/** One HTTPS request to the edge for `host`, verified against the test's certificate, from `localAddress`. */
function edge(
	host: string,
	path: string,
	options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; localAddress?: string; anyName?: boolean } = {}
): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const request = httpsRequest(
			{
				host: '127.0.0.1',
				port: httpsPort,
				servername: host,
				ca: cert,
				path,
				method: options.method ?? 'GET',
				localAddress: options.localAddress,
				headers: { host: `${host}:${httpsPort}`, ...options.headers },
				agent: false,
				// Still verified against the test's certificate, only not against the host name.
				...(options.anyName ? { checkServerIdentity: () => undefined } : {})
			},
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('end', () =>
					resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') })
				);
			}
		);
		request.on('error', reject);
		request.end(options.body);
	});
}

beforeAll(async () => {
	[httpsPort, httpPort] = [await freePort(), await freePort()];
	const dashboardPort = await freePort();
	const apiOrigin = `https://${API_HOST}:${httpsPort}`;
	const dashboardOrigin = `https://${DASHBOARD_HOST}:${httpsPort}`;
	// The API behind exactly one proxy (the edge), as docker-compose.yml runs it.
	bot = await startDashboardBot({
		API_TRUST_PROXY: '1',
		API_PUBLIC_URL: apiOrigin,
		DASHBOARD_ORIGIN: dashboardOrigin,
		API_RATE_LIMIT_MAX: '40'
	});
	const apiPort = new URL(bot.base).port;
	execFileSync('npm', ['run', 'build', '--workspace', 'dashboard', '--', '--outDir', dist, '--emptyOutDir', '--logLevel', 'error'], {
		cwd: ROOT,
		env: { ...process.env, VITE_API_URL: apiOrigin },
		stdio: 'pipe'
	});

	for (const dir of ['certs', 'conf.d', 'temp', 'logs']) mkdirSync(join(work, dir));
	execFileSync(
		'openssl',
		[
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-days',
			'1',
			'-subj',
			'/CN=facet.test',
			'-addext',
			`subjectAltName=DNS:${API_HOST},DNS:${DASHBOARD_HOST}`,
			'-keyout',
			join(work, 'certs', 'privkey.pem'),
			'-out',
			join(work, 'certs', 'fullchain.pem')
		],
		{ stdio: 'pipe' }
	);
	cert = readFileSync(join(work, 'certs', 'fullchain.pem'), 'utf8');

	const confD = join(work, 'conf.d');
	writeFileSync(
		join(confD, 'edge.conf'),
		render('deploy/nginx/edge.conf', {
			EDGE_HTTP_PORT: `127.0.0.1:${httpPort}`,
			EDGE_HTTPS_PORT: `127.0.0.1:${httpsPort}`,
			EDGE_CERT_DIR: join(work, 'certs'),
			FACET_API_HOST: API_HOST,
			FACET_DASHBOARD_HOST: DASHBOARD_HOST,
			FACET_API_UPSTREAM: `127.0.0.1:${apiPort}`,
			FACET_DASHBOARD_UPSTREAM: `127.0.0.1:${dashboardPort}`
		})
	);
	writeFileSync(join(confD, 'security-headers.inc'), render('deploy/dashboard/security-headers.conf', { FACET_API_ORIGIN: apiOrigin }));
	writeFileSync(
		join(confD, 'dashboard.conf'),
		render(
			'deploy/dashboard/nginx.conf',
			{},
			{
				'listen 8080;': `listen 127.0.0.1:${dashboardPort};`,
				'/usr/share/nginx/html': dist,
				'/etc/nginx/conf.d/': `${confD}/`
			}
		)
	);
	const temp = join(work, 'temp');
	writeFileSync(
		join(work, 'nginx.conf'),
		[
			// The images' main nginx.conf, reduced to what a loopback run needs.
			process.getuid?.() === 0 ? 'user root;' : '',
			'daemon off;',
			'worker_processes 1;',
			`pid ${join(work, 'nginx.pid')};`,
			'error_log stderr warn;',
			'events { worker_connections 256; }',
			'http {',
			'  include /etc/nginx/mime.types;',
			'  default_type application/octet-stream;',
			'  access_log off;',
			...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(temp, kind)};`),
			`  include ${confD}/dashboard.conf;`,
			`  include ${confD}/edge.conf;`,
			'}'
		].join('\n')
	);
	nginx = spawnLogged(NGINX, ['-p', work, '-c', join(work, 'nginx.conf'), '-e', 'stderr']);
	await waitUntil(
		() =>
			edge(DASHBOARD_HOST, '/index.html').then(
				(answer) => answer.status,
				() => 0
			),
		(status) => status === 200,
		15_000
	).catch((error) => {
		throw new Error(`nginx did not come up: ${error}\n${nginx?.lines.join('\n')}`);
	});
}, 240_000);

afterAll(async () => {
	await browser?.close();
	nginx?.child.kill('SIGTERM');
	await nginx?.exited;
	await bot?.stop();
	rmSync(work, { recursive: true, force: true });
});

const expectedCsp = () => DASHBOARD_CSP.replace("connect-src 'self'", `connect-src 'self' https://${API_HOST}:${httpsPort}`);

/** The headers every dashboard answer carries through the edge. */
function expectSecurityHeaders(headers: IncomingHttpHeaders): void {
	expect(headers['content-security-policy']).toBe(expectedCsp());
	expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
	expect(headers['x-content-type-options']).toBe('nosniff');
	expect(headers['referrer-policy']).toBe('same-origin');
	// One HSTS header (the edge's; the dashboard's own is hidden), since this came over TLS.
	expect(headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
}

describe('the edge (deploy/nginx/edge.conf) in front of the dashboard (deploy/dashboard/nginx.conf) and the API', () => {
	it('GIVEN the dashboard host THEN index.html is served uncached with the security headers, and client routes fall back to it', async () => {
		const page = await edge(DASHBOARD_HOST, '/');
		expect(page.status).toBe(200);
		expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
		expect(page.headers['cache-control']).toBe('no-cache');
		expectSecurityHeaders(page.headers);
		expect(page.body).toBe(readFileSync(join(dist, 'index.html'), 'utf8'));
		for (const path of ['/index.html', '/servers', '/guilds/123/mileage']) {
			const route = await edge(DASHBOARD_HOST, path);
			expect([path, route.status, route.headers['cache-control']]).toEqual([path, 200, 'no-cache']);
			expect(route.body).toBe(page.body);
			expectSecurityHeaders(route.headers);
		}
		// A missing file is a 404, not the app (a stale hashed name must not be cached as HTML for a year).
		expect((await edge(DASHBOARD_HOST, '/assets/missing-0000.js')).status).toBe(404);
		expect((await edge(DASHBOARD_HOST, '/nope.png')).status).toBe(404);
	});

	it('GIVEN a hashed asset THEN it is served with its type, cached for a year as immutable, with the security headers', async () => {
		const script = readdirSync(join(dist, 'assets')).find((name) => name.endsWith('.js'))!;
		const asset = await edge(DASHBOARD_HOST, `/assets/${script}`);
		expect(asset.status).toBe(200);
		expect(asset.headers['content-type']).toMatch(/^(application|text)\/javascript/);
		expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
		expectSecurityHeaders(asset.headers);
		expect(asset.body).toBe(readFileSync(join(dist, 'assets', script), 'utf8'));
	});

	it('GIVEN the API host THEN /readyz answers through the edge with HSTS, and /metrics is not exposed', async () => {
		const ready = await edge(API_HOST, '/readyz');
		expect(ready.status).toBe(200);
		expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready' });
		expect(ready.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
		expect((await edge(API_HOST, '/livez')).status).toBe(200);
		expect((await edge(API_HOST, '/metrics')).status).toBe(404);
		// The bot's own port still serves it to Prometheus on the internal network, with every metric the example
		// alert rules (deploy/prometheus/facet-alerts.yml) use.
		const metrics = await fetch(`${bot.base}/metrics`);
		expect(metrics.status).toBe(200);
		const exported = new Set([...(await metrics.text()).matchAll(/^# TYPE (\w+) /gm)].map((match) => match[1]!));
		const rules = readFileSync(join(ROOT, 'deploy', 'prometheus', 'facet-alerts.yml'), 'utf8');
		const used = [...new Set([...rules.matchAll(/\b(facet_\w+)\{/g)].map((match) => match[1]!))];
		expect(used.length).toBeGreaterThan(5);
		expect(used.filter((name) => !exported.has(name))).toEqual([]);
	});

	it('GIVEN a host the edge does not serve THEN it is refused (421), never handed to an upstream', async () => {
		expect((await edge('other.facet.test', '/readyz', { anyName: true })).status).toBe(421);
	});

	it('GIVEN plain HTTP THEN every host redirects to HTTPS (301, same host and path)', async () => {
		const answer = await new Promise<Answer>((resolve, reject) => {
			const request = httpRequest(
				{ host: '127.0.0.1', port: httpPort, path: '/readyz?x=1', headers: { host: API_HOST }, agent: false },
				(response) => {
					response.resume();
					response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' }));
				}
			);
			request.on('error', reject);
			request.end();
		});
		expect(answer.status).toBe(301);
		expect(answer.headers.location).toBe(`https://${API_HOST}/readyz?x=1`);
	});

	it('GIVEN a TLS 1.2 client THEN the modern profile refuses it; TLS 1.3 connects', async () => {
		const handshake = (maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
			new Promise<string>((resolve) => {
				const socket = tlsConnect({ host: '127.0.0.1', port: httpsPort, servername: API_HOST, ca: cert, maxVersion }, () => {
					resolve(socket.getProtocol() ?? 'none');
					socket.end();
				});
				socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
			});
		expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
		expect(await handshake('TLSv1.2')).toMatch(/^error /);
	});

	it('GIVEN two clients behind the edge THEN the API rate-limits each by its own address, and a forged X-Forwarded-For changes nothing', async () => {
		// Both reach the API from the edge's address (127.0.0.1); only the forwarded address tells them apart.
		const remaining = async (localAddress: string, headers: Record<string, string> = {}) => {
			// The session probe: 401 without a session, counted against the caller's address.
			const answer = await edge(API_HOST, '/users/@me', { localAddress, headers });
			return { status: answer.status, remaining: Number(answer.headers['ratelimit-remaining']) };
		};
		const first = await remaining('127.0.0.2');
		expect(first.status).toBe(401);
		expect(first.remaining).toBeGreaterThan(5);
		for (let i = 0; i < 3; i++) await remaining('127.0.0.2');
		expect(await remaining('127.0.0.2')).toEqual({ status: 401, remaining: first.remaining - 4 });
		// Another client has a bucket of its own.
		expect(await remaining('127.0.0.3')).toEqual({ status: 401, remaining: first.remaining });
		// The first client claiming to be someone else still counts against its own address.
		expect(await remaining('127.0.0.2', { 'x-forwarded-for': '198.51.100.7' })).toEqual({ status: 401, remaining: first.remaining - 5 });
	});

	it('GIVEN bodies past the API limits THEN the edge refuses the oversized ones and the API names its own limit just past it', async () => {
		const body = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes) });
		// Past the edge's limit for ordinary routes: nginx's 413 before the API sees it.
		const huge = await edge(API_HOST, '/oauth/logout', {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: `https://${DASHBOARD_HOST}:${httpsPort}` },
			body: body(200 * 1024)
		});
		expect(huge.status).toBe(413);
		// Between the API's 64 KiB and the edge's limit: the API's JSON error naming its limit.
		const over = await edge(API_HOST, '/oauth/logout', {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: `https://${DASHBOARD_HOST}:${httpsPort}` },
			body: body(70 * 1024)
		});
		expect(over.status).toBe(413);
		expect(JSON.parse(over.body)).toMatchObject({ error: 'payload_too_large', limit: 64 * 1024 });
	});

	it('GIVEN the built dashboard in Chromium through the edge THEN logging in and browsing raise no CSP violation', async () => {
		if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (see .ci/run)`);
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				`--host-resolver-rules=MAP ${API_HOST} 127.0.0.1, MAP ${DASHBOARD_HOST} 127.0.0.1`
			]
		});
		const context = await browser.newContext({ ignoreHTTPSErrors: true });
		const violations: string[] = [];
		await context.exposeBinding('reportCspViolation', (_source, text: string) => violations.push(text));
		// Runs before the page's own scripts (through the debugging protocol, so the CSP does not apply to it).
		await context.addInitScript(
			"document.addEventListener('securitypolicyviolation', (e) => window.reportCspViolation(e.violatedDirective + ' ' + e.blockedURI))"
		);
		const page = await context.newPage();
		page.on('console', (message) => {
			if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
		});
		const dashboard = `https://${DASHBOARD_HOST}:${httpsPort}`;
		await page.goto(`${dashboard}/`);
		await page.getByRole('link', { name: 'Log in with Discord' }).click();
		await page.getByRole('link', { name: /Log in as Ada/ }).click();
		await page.waitForURL(`${dashboard}/servers`);
		await page.getByRole('link', { name: 'Facet Sandbox' }).click();
		await page.waitForURL(/\/servers\/\d+$/);
		// The settings (channel and role pickers) and the mileage page (leaderboard, chart) load the most.
		await page.getByRole('tab', { name: 'Settings' }).click();
		await page.getByRole('combobox', { name: 'Welcome channel' }).waitFor();
		await page.getByRole('tab', { name: 'Mileage' }).click();
		await page.waitForURL(/\/mileage/);
		await page.waitForLoadState('networkidle');
		expect(violations).toEqual([]);
	}, 120_000);
});
