import { existsSync, mkdirSync } from 'node:fs';
import { container } from '@sapphire/framework';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIAL_JS_BUDGET_BYTES, initialJsSize } from '../../scripts/dashboard-size.ts';
import { DASHBOARD_DIST } from '../../src/sandbox/dashboard.ts';
import { controlRequest, waitUntil } from '../helpers/sandbox.ts';
import {
	type AxeViolation,
	CHROMIUM,
	type DashboardBot,
	logInAs,
	RESULTS,
	snapshot as snapshotPage,
	startDashboardBot
} from './helpers.ts';

/*
 * The dashboard as people use it: the API serves the built files (as `npm start` does), Debian's Chromium drives
 * them through playwright-core, and every effect is checked where it lands (the emulator, the bot's state).
 */

let bot: DashboardBot;
let seed: DashboardBot['handle']['emulator']['seed'];
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const violations: AxeViolation[] = [];

const control = (method: string, path: string, body?: unknown) => controlRequest(bot.handle.emulator, method, path, body);
const commandNames = async () =>
	((await control('GET', `/_emulator/guilds/${seed.guildId}/commands`)).body as unknown as { name: string }[]).map((c) => c.name);
const welcomeMessages = async () =>
	((await control('GET', `/_emulator/channels/${seed.channels.welcome}/messages`)).body as unknown as { content: string }[]).map(
		(m) => m.content
	);

const snapshot = (target: Page, name: string) => snapshotPage(target, name, violations);
const logIn = (target: Page, who: RegExp) => logInAs(target, bot.base, who);

beforeAll(async () => {
	if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (see .ci/run)`);
	mkdirSync(RESULTS, { recursive: true });
	bot = await startDashboardBot({ MILEAGE_FLUSH_INTERVAL_MS: '200' });
	seed = bot.handle.emulator.seed;
	// A server Ada owns that the bot is not in: the picker offers an invite for it.
	expect((await control('POST', '/_emulator/guilds', { name: 'Side Project', owner_id: seed.users.ada, with_bot: false })).status).toBe(
		201
	);
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
	});
	// axe is injected as an inline script, which the page's CSP (rightly) refuses.
	admin = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
	page = await admin.newPage();
	page.on('pageerror', (error) => pageErrors.push(String(error)));
	// Error answers the steps cause on purpose (401 after the session ends, the injected 503, the refused 400)
	// are handled by the app; any other failed request, or an uncaught error, fails the last test.
	page.on('response', (response) => {
		if (response.status() === 404 || response.status() >= 500) {
			if (!response.url().endsWith('/plugins/mileage')) pageErrors.push(`${response.status()} ${response.url()}`);
		}
	});
	page.on('console', (message) => {
		if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
	});
}, 240_000);

afterAll(async () => {
	await browser?.close();
	await bot?.stop();
});

describe('serving the dashboard from the API (sandbox)', () => {
	it('GIVEN the built dashboard THEN / is the page, assets have their types, client routes fall back to it, and API routes are never shadowed', async () => {
		const root = await fetch(`${bot.base}/`);
		expect(root.status).toBe(200);
		expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
		expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
		const html = await root.text();
		expect(html).toContain('<div id="root"></div>');

		const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
		const asset = await fetch(`${bot.base}${script}`);
		expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
		expect(asset.headers.get('cache-control')).toContain('immutable');
		expect((await fetch(`${bot.base}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');

		// Every client route reloads into the app.
		for (const path of [
			'/servers',
			'/expired',
			`/servers/${seed.guildId}`,
			`/servers/${seed.guildId}/settings/config`,
			`/servers/${seed.guildId}/mileage`,
			`/servers/${seed.guildId}/audit`
		]) {
			const reload = await fetch(`${bot.base}${path}`, { headers: { accept: 'text/html' } });
			expect([path, reload.status, reload.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
		}
		// API routes answer as the API, even when a browser asks for HTML.
		for (const path of ['/guilds', '/users/@me', `/guilds/${seed.guildId}/plugins`, '/time-zones']) {
			const api = await fetch(`${bot.base}${path}`, { headers: { accept: 'text/html' } });
			expect([path, api.status, await api.json()]).toEqual([path, 401, expect.objectContaining({ error: 'unauthorized' })]);
		}
		// Unknown files and non-page requests stay the API's JSON 404; nothing outside the folder is readable.
		expect((await fetch(`${bot.base}/assets/missing.js`)).status).toBe(404);
		expect((await fetch(`${bot.base}/no-such-api`)).headers.get('content-type')).toContain('application/json');
		for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/assets/..%2f..%2fpackage.json']) {
			const outside = await fetch(`${bot.base}${path}`, { headers: { accept: 'text/html' } });
			expect(await outside.text()).not.toContain('"name": "facet"');
		}
		const head = await fetch(`${bot.base}/`, { method: 'HEAD' });
		expect([head.status, (await head.arrayBuffer()).byteLength]).toEqual([200, 0]);
		// A browser that goes away mid-file is not an error.
		const aborted = new AbortController();
		const partial = await fetch(`${bot.base}${script}`, { signal: aborted.signal });
		await partial.body!.getReader().read();
		aborted.abort();
		expect((await fetch(`${bot.base}/livez`)).status).toBe(200);
		expect(bot.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
	});

	it('GIVEN the build THEN its initial JavaScript is within 300 KB gzipped', () => {
		const { gzip, files } = initialJsSize(DASHBOARD_DIST);
		process.stdout.write(`dashboard initial JS: ${(gzip / 1024).toFixed(1)} KB gzipped in ${files.length} file(s)\n`);
		expect(files.length).toBeGreaterThan(0);
		expect(gzip).toBeLessThanOrEqual(INITIAL_JS_BUDGET_BYTES);
	});
});

describe('the dashboard in Chromium', () => {
	it('GIVEN the sandbox admin THEN they log in through the emulator and pick "Facet Sandbox"', async () => {
		await page.goto(`${bot.base}/`);
		await page.getByRole('link', { name: 'Log in with Discord' }).waitFor();
		await snapshot(page, 'login');
		await page.getByRole('link', { name: 'Log in with Discord' }).click();
		await page.getByRole('link', { name: /Log in as Ada/ }).click();
		await page.waitForURL(`${bot.base}/servers`);
		await page.getByRole('link', { name: 'Facet Sandbox' }).waitFor();
		// Only manageable servers with the bot are listed; the one without it gets an invite instead.
		expect(await page.getByRole('link', { name: 'Side Project' }).count()).toBe(0);
		const invite = new URL((await page.locator('[data-invitable]').getByRole('link', { name: 'Invite the bot' }).getAttribute('href'))!);
		expect(invite.pathname).toBe('/oauth2/authorize');
		expect(invite.searchParams.get('scope')).toBe('bot applications.commands');
		expect(invite.searchParams.get('guild_id')).toBe(await page.locator('[data-invitable]').getAttribute('data-invitable'));
		await snapshot(page, 'servers');
		await page.getByRole('link', { name: 'Facet Sandbox' }).click();
		await page.waitForURL(`${bot.base}/servers/${seed.guildId}`);
		await page.getByRole('switch', { name: 'mileage' }).waitFor({ state: 'attached' });
		await snapshot(page, 'overview');
	});

	it('GIVEN the mileage switch THEN turning it off removes its commands from the emulator, and on brings them back', async () => {
		expect(await commandNames()).toContain('mileage');
		const toggle = page.getByRole('switch', { name: 'mileage' });
		await toggle.click({ force: true });
		await waitUntil(commandNames, (names) => !names.includes('mileage') && !names.includes('mileage-admin'), 30_000);
		expect(await toggle.isChecked()).toBe(false);
		await toggle.click({ force: true });
		await waitUntil(commandNames, (names) => names.includes('mileage') && names.includes('mileage-admin'), 30_000);
		expect(await toggle.isChecked()).toBe(true);
	});

	it('GIVEN the server refuses a switch THEN it flips at once and rolls back with a message', async () => {
		await page.route('**/plugins/mileage', (route) =>
			route.request().method() === 'PUT'
				? route.fulfill({
						status: 503,
						contentType: 'application/json',
						body: JSON.stringify({ error: 'service_unavailable', message: 'Try again later.' })
					})
				: route.continue()
		);
		// The list is slow to reload, so what the switch shows when the error arrives is the page's own rollback.
		await page.route('**/plugins', async (route) => {
			await new Promise((resolve) => setTimeout(resolve, 3_000));
			await route.continue();
		});
		const toggle = page.getByRole('switch', { name: 'mileage' });
		const flipped = page.waitForRequest((request) => request.method() === 'PUT');
		await toggle.click({ force: true });
		await flipped;
		await page.getByText('Could not switch mileage off').waitFor();
		expect(await toggle.isChecked()).toBe(true);
		// Lets the delayed reload through before the interception ends.
		await page.unrouteAll({ behavior: 'wait' });
		expect(container.plugins.isEnabled(seed.guildId, 'mileage')).toBe(true);
	});

	it('GIVEN the welcome channel set in the settings THEN a member joining through the control API is greeted there', async () => {
		await page.getByRole('tab', { name: 'Settings' }).click();
		await page.waitForURL(/\/settings/);
		const channel = page.getByRole('combobox', { name: 'Welcome channel' });
		await channel.click();
		await page.getByRole('option', { name: '# welcome' }).click();
		await page.getByRole('region', { name: 'Unsaved changes' }).waitFor();
		await snapshot(page, 'settings');
		const sent: unknown[] = [];
		page.on('request', (request) => {
			if (request.method() === 'PATCH') sent.push(request.postDataJSON());
		});
		await page.getByRole('button', { name: 'Save changes' }).click();
		await page.getByRole('region', { name: 'Unsaved changes' }).waitFor({ state: 'detached' });
		// Only what changed was sent.
		expect(sent).toEqual([{ welcomeChannel: seed.channels.welcome }]);
		expect(container.plugins.settings<{ welcomeChannel: string | null }>(seed.guildId, 'config').welcomeChannel).toBe(
			seed.channels.welcome
		);

		const joined = await control('POST', '/_emulator/members', { guild_id: seed.guildId, username: 'newcomer' });
		expect(joined.status).toBe(201);
		const userId = ((joined.body.user as { id: string } | undefined)?.id ?? joined.body.user_id) as string;
		const greeting = await waitUntil(welcomeMessages, (messages) => messages.some((m) => m.includes(`<@${userId}>`)), 15_000);
		expect(greeting.find((m) => m.includes(`<@${userId}>`))).toBe(`Welcome to Facet Sandbox, <@${userId}>!`);
	});

	it('GIVEN a value the API refuses THEN its message shows beside the field and leaving asks first', async () => {
		const message = page.getByLabel('Welcome message');
		await message.fill('   ');
		await page.getByRole('button', { name: 'Save changes' }).click();
		const error = page.locator('#setting-welcomeMessage-error');
		await error.waitFor();
		expect(await error.textContent()).toMatch(/empty|at least|required/i);
		expect(container.plugins.settings<{ welcomeMessage: string }>(seed.guildId, 'config').welcomeMessage).toBe(
			'Welcome to {server}, {user}!'
		);

		await page.getByRole('tab', { name: 'Audit log' }).click();
		await page.getByRole('dialog', { name: 'Leave without saving?' }).waitFor();
		await page.getByRole('button', { name: 'Stay' }).click();
		expect(page.url()).toContain('/settings');
		await page.getByRole('button', { name: 'Reset' }).click();
		await page.getByRole('region', { name: 'Unsaved changes' }).waitFor({ state: 'detached' });
	});

	it('GIVEN messages sent through the control API THEN the leaderboard and the chart update', async () => {
		await page.getByRole('tab', { name: 'Mileage' }).click();
		await page.waitForURL(/\/mileage/);
		// The newcomer earned join points already; three members now write a message each.
		const chart = page.locator('.chart-host');
		await chart.waitFor();
		const rows = page.getByRole('table', { name: 'Leaderboard' }).locator('tbody tr');
		await waitUntil(
			() => rows.count(),
			(count) => count === 1,
			30_000
		);
		const before = Number(await chart.getAttribute('data-total'));
		expect(before).toBeGreaterThan(0);
		for (const user of [seed.users.linus, seed.users.margaret, seed.users.alan]) {
			const sent = await control('POST', '/_emulator/messages', {
				guild_id: seed.guildId,
				channel_id: seed.channels.general,
				user_id: user,
				content: 'hello everyone, good morning'
			});
			expect(sent.status).toBe(201);
		}
		await waitUntil(
			() => rows.count(),
			(count) => count === 4,
			30_000
		);
		await waitUntil(
			() => chart.getAttribute('data-total'),
			(total) => Number(total) === before + 3,
			30_000
		);
		// Equal points share a rank, below the newcomer's join points.
		for (const user of [seed.users.linus, seed.users.margaret, seed.users.alan]) {
			expect(await page.locator(`tr[data-user="${user}"] td`).first().textContent()).toBe('#2');
		}
		// One keyset page (cursor paging itself is walked in public.test.ts): no next cursor, nothing before it.
		expect(await page.getByText('Page 1 of 1 · 4 members').count()).toBe(1);
		expect(await page.getByRole('button', { name: 'Next', exact: true }).isDisabled()).toBe(true);
		expect(await page.getByRole('button', { name: 'Previous', exact: true }).isDisabled()).toBe(true);
		await snapshot(page, 'mileage');
	});

	it('GIVEN an adjustment THEN it is confirmed first and the leaderboard shows the new total', async () => {
		const row = page.locator(`tr[data-user="${seed.users.linus}"]`);
		await row.getByRole('button', { name: 'Adjust' }).click();
		const dialog = page.getByRole('dialog', { name: /Adjust Linus/ });
		await dialog.getByRole('textbox', { name: 'Points' }).fill('50');
		await dialog.getByRole('textbox', { name: 'Reason' }).fill('Ran the community event');
		await dialog.getByRole('button', { name: 'Review' }).click();
		const confirm = page.getByRole('dialog', { name: 'Confirm the adjustment' });
		await confirm.waitFor();
		expect(await confirm.textContent()).toContain('Add 50 points to Linus');
		// Nothing is written before the confirmation.
		expect((await container.mileage.standing(seed.guildId, seed.users.linus)).points).toBe(1);
		await snapshot(page, 'mileage-confirm');
		await confirm.getByRole('button', { name: 'Add 50 points' }).click();
		await waitUntil(
			() => row.locator('[data-points]').textContent(),
			(text) => text === '51',
			15_000
		);
		expect((await container.mileage.standing(seed.guildId, seed.users.linus)).points).toBe(51);
	});

	it('GIVEN a CSV import THEN a dry run previews it, nothing is written until confirmed, and a progress bar follows the job', async () => {
		const csv = `user_id,points,note\r\n${seed.users.grace},7,migrated from another bot\r\n`;
		await page.locator('input[type="file"]').setInputFiles({ name: 'points.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
		const preview = page.getByText('Dry run of points.csv');
		await preview.waitFor();
		expect(await page.getByText(/1 rows for 1 members, 7 points/).count()).toBe(1);
		expect((await container.mileage.standing(seed.guildId, seed.users.grace)).points).toBe(0);
		await page.getByRole('button', { name: 'Import 1 rows' }).click();
		await page.getByText(/Import done: 1 of 1 rows/).waitFor();
		expect(await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('aria-valuenow')).toBe('100');
		await snapshot(page, 'mileage-import');
		expect((await container.mileage.standing(seed.guildId, seed.users.grace)).points).toBe(7);
	});

	it('GIVEN the tier editor THEN a tier is added with a role picker and deleted after a confirmation', async () => {
		await page.getByRole('textbox', { name: 'Name' }).fill('Regular');
		await page.getByRole('textbox', { name: 'Points', exact: true }).fill('10');
		await page.getByRole('combobox', { name: 'Role' }).click();
		await page.getByRole('option', { name: '@Member' }).click();
		await page.getByRole('button', { name: 'Add tier' }).click();
		const row = page.getByRole('table', { name: 'Tiers' }).getByRole('row', { name: /Regular/ });
		await row.waitFor();
		expect(container.mileageTiers.list(seed.guildId).map((tier) => [tier.name, tier.threshold, tier.roleId])).toEqual([
			['Regular', 10, seed.roles.member]
		]);
		await row.getByRole('button', { name: 'Delete tier Regular' }).click();
		const confirm = page.getByRole('dialog', { name: /Delete the tier/ });
		await confirm.getByRole('button', { name: 'Delete tier' }).click();
		await row.waitFor({ state: 'detached' });
		expect(container.mileageTiers.list(seed.guildId)).toEqual([]);
	});

	it('GIVEN a phone-width screen THEN the mileage page fits without sideways scrolling', async () => {
		await page.setViewportSize({ width: 390, height: 844 });
		await page.getByRole('table', { name: 'Leaderboard' }).waitFor();
		const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
		await snapshot(page, 'mileage-phone');
		expect(overflow).toBeLessThanOrEqual(0);
		await page.setViewportSize({ width: 1280, height: 900 });
	});

	it('GIVEN the audit log THEN a change is reverted after a confirmation', async () => {
		await page.getByRole('tab', { name: 'Audit log' }).click();
		await page.waitForURL(/\/audit/);
		const entry = page.locator('[data-entry]').filter({ hasText: 'welcomeChannel' }).first();
		await entry.waitFor();
		expect(await entry.textContent()).toContain('#welcome');
		await snapshot(page, 'audit');
		await entry.getByRole('button', { name: 'Revert' }).click();
		const confirm = page.getByRole('dialog', { name: /Revert change/ });
		await confirm.waitFor();
		expect(container.plugins.settings<{ welcomeChannel: string | null }>(seed.guildId, 'config').welcomeChannel).toBe(
			seed.channels.welcome
		);
		await confirm.getByRole('button', { name: 'Revert' }).click();
		await page
			.getByText(/revert of #/)
			.first()
			.waitFor();
		expect(container.plugins.settings<{ welcomeChannel: string | null }>(seed.guildId, 'config').welcomeChannel).toBeNull();
	});

	it('GIVEN a member without rights THEN no manage page or route opens for them', async () => {
		const context = await browser.newContext({ bypassCSP: true });
		const member = await context.newPage();
		await logIn(member, /Log in as Linus/);
		await member.getByText('No servers to manage').waitFor();
		await snapshot(member, 'servers-member');
		for (const path of ['', '/settings', '/settings/mileage', '/mileage', '/audit']) {
			await member.goto(`${bot.base}/servers/${seed.guildId}${path}`);
			await member.getByText('You cannot manage this server').waitFor();
			expect(await member.getByRole('tab').count()).toBe(0);
		}
		await snapshot(member, 'forbidden');
		const g = `/guilds/${seed.guildId}`;
		const m = `/mileage/guilds/${seed.guildId}`;
		const statuses = await member.evaluate(
			async (requests) =>
				Promise.all(
					requests.map(async ([method, path, body]) => {
						const response = await fetch(path!, {
							method,
							credentials: 'include',
							headers: body ? { 'content-type': 'application/json' } : {},
							body: body ?? null
						});
						return `${method} ${path} ${response.status}`;
					})
				),
			[
				['GET', g],
				['GET', `${g}/plugins`],
				['PUT', `${g}/plugins/mileage`, '{"enabled":false}'],
				['GET', `${g}/plugins/config/settings`],
				['PATCH', `${g}/plugins/config/settings`, '{"timezone":"UTC"}'],
				['GET', `${g}/audit`],
				['POST', `${g}/audit/1/revert`],
				['GET', `${m}/leaderboard`],
				['GET', `${m}/points`],
				['POST', `${m}/members/${seed.users.linus}/adjust`, '{"points":5,"reason":"me"}'],
				['GET', `${m}/export.csv`]
			] as [string, string, string?][]
		);
		expect(statuses.filter((line) => !line.endsWith(' 403'))).toEqual([]);
		expect(container.plugins.isEnabled(seed.guildId, 'mileage')).toBe(true);
		await context.close();
	});

	it('GIVEN the session ends THEN the next request leads to the expired-session page and back to login', async () => {
		await admin.clearCookies();
		await page.reload();
		await page.getByText('Your session has ended').waitFor();
		expect(page.url()).toBe(`${bot.base}/expired`);
		await snapshot(page, 'expired');
		await page.getByRole('link', { name: 'Log in again' }).click();
		await page.getByRole('link', { name: /Log in as Ada/ }).waitFor();
	});

	it('GIVEN every page visited THEN axe-core found no serious or critical violations, and no script failed', () => {
		expect(violations).toEqual([]);
		expect(pageErrors).toEqual([]);
	});
});
