import { existsSync, mkdirSync } from 'node:fs';
import { container } from '@sapphire/framework';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlRequest, interact, waitUntil } from '../helpers/sandbox.ts';
import { type AxeViolation, CHROMIUM, type DashboardBot, logInAs, RESULTS, snapshot, startDashboardBot } from './helpers.ts';

/*
 * The public leaderboard, keyset paging on the managers' leaderboard and losing access, in Debian's Chromium against
 * the sandbox (the API serves the built dashboard). Logged-out views use a browser context with no cookie at all.
 */

/** How often an open page re-asks for access in this run (the default is 30 s, at most 60 s: test/api/access-recheck). */
const RECHECK_SECONDS = 2;

let bot: DashboardBot;
let seed: DashboardBot['handle']['emulator']['seed'];
let browser: Browser;
let grace: BrowserContext;
let page: Page;
let anonymous: BrowserContext;
let visitor: Page;
const violations: AxeViolation[] = [];
const pageErrors: string[] = [];

/** A fake, well-formed user id (someone who left the server, say): the bot has no name for them. */
const fakeUser = (i: number) => String(300_000_000_000_000_000n + BigInt(i));
const FAKES = 60;

const publicUrl = () => `${bot.base}/leaderboard/${seed.guildId}`;
const rows = (target: Page, table: string) => target.getByRole('table', { name: table }).locator('tbody tr');
/** The managers' leaderboard as shown: the rank column. */
const ranksShown = async () => (await rows(page, 'Leaderboard').locator('td:first-child').allTextContents()).map((t) => t.trim());
/** The public leaderboard as shown: `#rank name` per row. */
async function publicRows(): Promise<string[]> {
	const table = rows(visitor, 'Public leaderboard');
	const [ranks, names] = [await table.locator('td:first-child').allTextContents(), await table.locator('[data-name]').allTextContents()];
	return ranks.map((rank, i) => `${rank.trim()} ${names[i]}`);
}

function watch(target: Page, expected: (status: number, url: string) => boolean) {
	target.on('pageerror', (error) => pageErrors.push(String(error)));
	target.on('response', (response) => {
		if ((response.status() === 404 || response.status() >= 500) && !expected(response.status(), response.url()))
			pageErrors.push(`${response.status()} ${response.url()}`);
	});
}

beforeAll(async () => {
	if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (see .ci/run)`);
	mkdirSync(RESULTS, { recursive: true });
	bot = await startDashboardBot({ API_ACCESS_RECHECK_SECONDS: String(RECHECK_SECONDS) });
	seed = bot.handle.emulator.seed;
	// Four members and 60 people with more points (ranks 1–60) below which the members stand, for three pages.
	for (let i = 1; i <= FAKES; i++) await container.mileage.adjust(seed.guildId, fakeUser(i), 1_000 + i, 'seed', seed.users.ada);
	await container.mileage.adjust(seed.guildId, seed.users.ada, 120, 'seed', seed.users.ada);
	await container.mileage.adjust(seed.guildId, seed.users.alan, 50, 'seed', seed.users.ada);
	await container.mileage.adjust(seed.guildId, seed.users.linus, 30, 'seed', seed.users.ada);
	await container.mileage.adjust(seed.guildId, seed.users.grace, 5, 'seed', seed.users.ada);
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
	});
	// axe is injected as an inline script, which the page's CSP (rightly) refuses.
	grace = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
	page = await grace.newPage();
	watch(page, () => false);
	anonymous = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } });
	visitor = await anonymous.newPage();
	// The public route's 404 is the "not available" state this file checks on purpose.
	watch(visitor, (status, url) => status === 404 && url.includes('/mileage/public/'));
}, 240_000);

afterAll(async () => {
	await browser?.close();
	await bot?.stop();
});

describe('the public leaderboard', () => {
	it('GIVEN the default settings THEN a logged-out visitor sees "not available" and the API answers 404', async () => {
		await visitor.goto(publicUrl());
		await visitor.getByText('This leaderboard is not available').waitFor();
		expect(await visitor.getByRole('table').count()).toBe(0);
		expect((await fetch(`${bot.base}/mileage/public/${seed.guildId}/leaderboard`)).status).toBe(404);
		await snapshot(visitor, 'public-off', violations);
	});

	it('GIVEN a manager turns it on in settings/mileage THEN logged out it shows ranks, names and avatars only', async () => {
		await logInAs(page, bot.base, /Log in as Grace/);
		await page.goto(`${bot.base}/servers/${seed.guildId}/settings/mileage`);
		const toggle = page.getByRole('switch', { name: 'Public leaderboard' });
		await toggle.waitFor({ state: 'attached' });
		expect(await toggle.isChecked()).toBe(false);
		await toggle.click({ force: true });
		await page.getByRole('button', { name: 'Save changes' }).click();
		await page.getByRole('region', { name: 'Unsaved changes' }).waitFor({ state: 'detached' });
		expect(container.plugins.settings<{ publicLeaderboard: boolean }>(seed.guildId, 'mileage').publicLeaderboard).toBe(true);

		await visitor.reload();
		const table = rows(visitor, 'Public leaderboard');
		await waitUntil(
			() => table.count(),
			(count) => count === 25,
			15_000
		);
		// Only rank and member columns; the first page is the 25 best, then page 3 holds the members by true rank.
		expect(await visitor.getByRole('table', { name: 'Public leaderboard' }).locator('th').allTextContents()).toEqual(['Rank', 'Member']);
		expect((await publicRows())[0]).toBe('#1 Unknown member');
		await visitor.getByRole('button', { name: 'Next' }).click();
		await visitor.getByText('Page 2').waitFor();
		await visitor.getByRole('button', { name: 'Next' }).click();
		await visitor.getByText('Page 3').waitFor();
		await waitUntil(publicRows, (texts) => texts.includes('#61 Ada'), 15_000);
		expect((await publicRows()).slice(-4)).toEqual(['#61 Ada', '#62 Alan', '#63 Linus', '#64 Grace']);
		const html = await visitor.content();
		for (const id of [seed.users.ada, seed.users.alan, fakeUser(1)]) expect(html).not.toContain(id);
		expect(html).not.toContain('1,060');
		await snapshot(visitor, 'public', violations);
	});

	it('GIVEN Alan hides himself with /mileage privacy THEN he is gone from the public page, and the others keep their ranks', async () => {
		const reply = await interact(bot.handle.emulator, {
			user: seed.users.alan,
			command: 'mileage privacy',
			options: { leaderboard: 'hide' }
		});
		expect([reply.status, reply.body.ephemeral]).toEqual([200, true]);
		await visitor.reload();
		await visitor.getByRole('button', { name: 'Next' }).click();
		await visitor.getByRole('button', { name: 'Next' }).click();
		await visitor.getByText('Page 3').waitFor();
		await waitUntil(publicRows, (texts) => texts.includes('#61 Ada'), 15_000);
		expect((await publicRows()).slice(-3)).toEqual(['#61 Ada', '#63 Linus', '#64 Grace']);
		expect(await visitor.getByText('Alan').count()).toBe(0);
	});
});

describe('the managers leaderboard pages by keyset', () => {
	it('GIVEN three pages THEN next follows the cursor, previous goes back, a rank jumps to its page and "Find me" to Grace', async () => {
		const asked: string[] = [];
		page.on('request', (request) => {
			if (request.url().includes('/leaderboard?')) asked.push(new URL(request.url()).search);
		});
		await page.goto(`${bot.base}/servers/${seed.guildId}/mileage`);
		await waitUntil(ranksShown, (ranks) => ranks.length === 25 && ranks[0] === '#1', 15_000);
		await page.getByRole('button', { name: 'Next' }).click();
		await waitUntil(ranksShown, (ranks) => ranks[0] === '#26', 15_000);
		expect(asked.at(-1)).toMatch(/[?&]after=\d+_\d+_25(&|$)/);
		expect(await page.getByText('Page 2 of 3').count()).toBe(1);
		await page.getByRole('button', { name: 'Previous' }).click();
		await waitUntil(ranksShown, (ranks) => ranks[0] === '#1', 15_000);
		expect(await page.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

		await page.getByRole('textbox', { name: 'Jump to rank' }).fill('62');
		await page.getByRole('button', { name: 'Go' }).click();
		await waitUntil(ranksShown, (ranks) => ranks[0] === '#51', 15_000);
		expect(asked.at(-1)).toMatch(/[?&]rank=62(&|$)/);
		expect(await page.locator(`tr[data-user="${seed.users.alan}"] td`).first().textContent()).toBe('#62');

		await page.getByRole('button', { name: 'Previous' }).click();
		await waitUntil(ranksShown, (ranks) => ranks[0] === '#26', 15_000);
		await page.getByRole('button', { name: 'Find me' }).click();
		const mine = page.locator('tr[data-me]');
		await mine.waitFor();
		expect(asked.at(-1)).toMatch(new RegExp(`[?&]user=${seed.users.grace}(&|$)`));
		expect(await mine.getAttribute('data-user')).toBe(seed.users.grace);
		expect(await mine.locator('td').first().textContent()).toBe('#64');
		expect(await page.getByText('Page 3 of 3').count()).toBe(1);
		await snapshot(page, 'mileage-keyset', violations);
	});
});

describe('losing access', () => {
	it('GIVEN Grace on a manage page loses Manage Server in Discord THEN within the bound the page shows no access and routes answer 403', async () => {
		await page.goto(`${bot.base}/servers/${seed.guildId}`);
		await page.getByRole('switch', { name: 'mileage' }).waitFor({ state: 'attached' });
		const changed = await controlRequest(bot.handle.emulator, 'PATCH', `/_emulator/roles/${seed.roles.admin}`, {
			guild_id: seed.guildId,
			permissions: '0'
		});
		expect(changed.status).toBe(200);
		const removed = Date.now();
		try {
			// Nothing on the overview polls by itself: only the access recheck can bring the page down.
			await page.getByText('You cannot manage this server').waitFor({ timeout: (RECHECK_SECONDS + 13) * 1_000 });
			expect(Date.now() - removed).toBeLessThan(60_000);
			expect(await page.getByRole('tab').count()).toBe(0);
			const statuses = await page.evaluate(
				async (paths) => Promise.all(paths.map(async (path) => (await fetch(path, { credentials: 'include' })).status)),
				[`/guilds/${seed.guildId}`, `/guilds/${seed.guildId}/plugins`, `/mileage/guilds/${seed.guildId}/leaderboard`]
			);
			expect(statuses).toEqual([403, 403, 403]);
			await snapshot(page, 'access-lost', violations);
		} finally {
			const restored = await controlRequest(bot.handle.emulator, 'PATCH', `/_emulator/roles/${seed.roles.admin}`, {
				guild_id: seed.guildId,
				permissions: String(1n << 5n)
			});
			expect(restored.status).toBe(200);
		}
	});

	it('GIVEN every page visited THEN axe-core found no serious or critical violations, and no script failed', () => {
		expect(violations).toEqual([]);
		expect(pageErrors).toEqual([]);
	});
});
