import { mkdirSync, readFileSync } from 'node:fs';
import { container } from '@sapphire/framework';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/postgres.ts';
import { controlRequest, waitUntil } from '../helpers/sandbox.ts';
import { FixtureServer, makeItems } from '../plugins/dailies/fixture-server.ts';
import { type AxeViolation, type DashboardBot, RESULTS, startDashboardBot, snapshot as takeSnapshot } from './helpers.ts';

/*
 * The Dailies pages in Debian's Chromium against the sandbox: a feed added through the page from a local fixture feed
 * server, its health and delivery log, OPML out and in, and a daily post whose preview is compared with the message
 * the bot posts (read back from the emulator's control API). The posts task ticks every second and the service's
 * clock is moved to the post's next run, so nothing waits a real day.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface EmulatorMessage {
	id: string;
	content: string;
	author: { id: string };
	embeds?: {
		title?: string;
		url?: string;
		description?: string;
		author?: { name: string };
		footer?: { text: string };
		timestamp?: string;
	}[];
	allowed_mentions?: unknown;
}

let bot: DashboardBot;
let seed: DashboardBot['handle']['emulator']['seed'];
let feeds: FixtureServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const violations: AxeViolation[] = [];

/** The bot's messages in a channel, read through the emulator's control API. */
const botMessages = async (channelId: string) =>
	(
		(await controlRequest(bot.handle.emulator, 'GET', `/_emulator/channels/${channelId}/messages`)).body as unknown as EmulatorMessage[]
	).filter((message) => message.author.id === bot.handle.emulator.botUserId);
const liveFeeds = async () =>
	(await query<{ id: number; url: string }>(bot.db.url, "select id, url from dailies_feed where state <> 'removed' order by id")).map(
		(row) => ({ id: String(row.id), url: row.url })
	);
/** Makes a feed due now; the poll task (every second here) picks it up. */
const due = (feedId: string) =>
	query(bot.db.url, "update dailies_feed set next_poll_at = now() - interval '1 second' where id = $1", [Number(feedId)]);

/** A screenshot of the page in test-results/ (dashboard-dailies-<name>.png) and its axe-core findings. */
const snapshot = (name: string) => takeSnapshot(page, `dailies-${name}`, violations);

/** The parts of a drawn message preview, as the raw text each part was drawn from. */
async function previewParts(preview: Locator) {
	const raw = async (part: string) => {
		const node = preview.locator(`[data-part="${part}"]`);
		return (await node.count()) ? await node.first().getAttribute('data-raw') : null;
	};
	const title = preview.locator('[data-part="embed-title"]');
	return {
		content: await raw('content'),
		title: await raw('embed-title'),
		url: (await title.count()) ? await title.getAttribute('data-url') : null,
		description: await raw('embed-description'),
		author: await raw('embed-author'),
		footer: await raw('embed-footer')
	};
}

/** Picks an option of a searchable Mantine select: types `search` into it, then clicks the option named `option`. */
async function pick(label: string, search: string, option: string = search): Promise<void> {
	const box = page.getByRole('combobox', { name: label, exact: true });
	await box.click();
	await box.fill(search);
	await page.getByRole('option', { name: option, exact: true }).click();
}

beforeAll(async () => {
	mkdirSync(RESULTS, { recursive: true });
	feeds = await new FixtureServer().start();
	const start = new Date(Date.now() - 30 * 60_000);
	feeds.routes.set('/news.xml', { kind: 'rss', title: 'Fixture News', items: makeItems(3, { start, prefix: 'news' }) });
	feeds.routes.set('/page.html', {
		kind: 'raw',
		contentType: 'text/html; charset=utf-8',
		body: '<!doctype html><title>Just a page</title><p>hello</p>'
	});
	feeds.routes.set('/other.xml', { kind: 'atom', title: 'Other Fixture', items: makeItems(2, { start, prefix: 'other' }) });
	bot = await startDashboardBot({
		DAILIES_ALLOW_PRIVATE_FEEDS: 'true',
		DAILIES_POLL_TICK_MS: '1000',
		DAILIES_POSTS_TICK_MS: '1000'
	});
	seed = bot.handle.emulator.seed;
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
	});
	// axe is injected as an inline script, which the page's CSP (rightly) refuses.
	const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
	page = await context.newPage();
	page.setDefaultTimeout(15_000);
	page.on('pageerror', (error) => pageErrors.push(String(error)));
	page.on('response', (response) => {
		if (response.status() === 404 || response.status() >= 500) pageErrors.push(`${response.status()} ${response.url()}`);
	});
	page.on('console', (message) => {
		if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
	});
	await page.goto(`${bot.base}/`);
	await page.getByRole('link', { name: 'Log in with Discord' }).click();
	await page.getByRole('link', { name: /Log in as Ada/ }).click();
	await page.waitForURL(`${bot.base}/servers`);
	await page.getByRole('link', { name: 'Facet Sandbox' }).click();
	await page.waitForURL(`${bot.base}/servers/${seed.guildId}`);
}, 240_000);

afterAll(async () => {
	await browser?.close();
	await bot?.stop();
	await feeds?.stop();
});

describe('the Dailies feeds page', () => {
	it('GIVEN no feeds THEN the page shows its empty state and offers import but no export', async () => {
		await page.getByRole('tab', { name: 'Dailies' }).click();
		await page.waitForURL(`${bot.base}/servers/${seed.guildId}/dailies`);
		await page.getByText('No feeds yet').waitFor();
		expect(await page.getByRole('button', { name: 'Import OPML' }).count()).toBe(1);
		expect(await page.getByRole('link', { name: 'Export OPML' }).count()).toBe(0);
		await snapshot('feeds-empty');
	});

	it('GIVEN a URL that is not a feed, or a bad template THEN the API’s message shows beside that field and nothing is saved', async () => {
		await page.getByRole('textbox', { name: 'Feed URL', exact: true }).fill(feeds.url('/page.html'));
		await pick('Channel', 'feeds', '# feeds');
		await page.getByRole('button', { name: 'Preview', exact: true }).click();
		const urlError = page.locator('#feed-url-error');
		await urlError.waitFor();
		expect(await urlError.textContent()).toMatch(/web page, not a feed/);

		await page.getByRole('textbox', { name: 'Feed URL', exact: true }).fill(feeds.url('/news.xml'));
		await page.getByRole('textbox', { name: 'Template', exact: true }).fill('{title} by {nobody}');
		await page.getByRole('button', { name: 'Add feed' }).click();
		const templateError = page.locator('#feed-template-error');
		await templateError.waitFor();
		expect(await templateError.textContent()).toMatch(/unknown placeholder \{nobody\}/);
		expect(await liveFeeds()).toEqual([]);
		expect(await botMessages(seed.channels.feeds)).toEqual([]);
		await page.getByRole('textbox', { name: 'Template', exact: true }).fill('');
	});

	it('GIVEN a fixture feed added through the page THEN its preview is the message that lands, and the page shows its health and first delivery', async () => {
		await page.getByRole('button', { name: 'Preview', exact: true }).click();
		const preview = page.getByRole('figure', { name: 'Preview of the newest item' });
		await preview.waitFor();
		expect(await page.getByText(/Fixture News.*\(rss, 3 items\)/).count()).toBe(1);
		const shown = await previewParts(preview);
		expect(shown.title).toBe('news 3');
		// Nothing is saved by a preview.
		expect(await liveFeeds()).toEqual([]);
		await snapshot('feeds-add-preview');

		await page.getByRole('button', { name: 'Add feed' }).click();
		const [posted] = await waitUntil(
			() => botMessages(seed.channels.feeds),
			(list) => list.length === 1,
			20_000
		);
		const embed = posted!.embeds?.[0];
		expect({
			content: posted!.content || null,
			title: embed?.title ?? null,
			url: embed?.url ?? null,
			description: embed?.description ?? null,
			author: embed?.author?.name ?? null,
			footer: embed?.footer?.text ?? null
		}).toEqual({ ...shown, footer: shown.footer || null });

		const row = page.getByRole('table', { name: 'Feeds' }).locator('tbody tr').filter({ hasText: 'Fixture News' });
		await row.waitFor();
		expect(await row.locator('[data-health]').textContent()).toBe('healthy');
		// The form is empty again after the add.
		expect(await page.getByRole('textbox', { name: 'Feed URL', exact: true }).inputValue()).toBe('');

		await row.getByRole('button', { name: 'Delivery log of Fixture News' }).click();
		const drawer = page.getByRole('dialog', { name: /Delivery log — Fixture News/ });
		const posts = drawer.locator('[data-outcome="posted"]');
		await posts.first().waitFor();
		expect(await posts.first().textContent()).toContain('news 3');
		expect(await drawer.locator('[data-outcome="seen"]').first().textContent()).toMatch(/2 older items marked seen/);
		await snapshot('feeds-log');
		await page.keyboard.press('Escape');
		await drawer.waitFor({ state: 'detached' });
	});

	it('GIVEN a new item, then a failing feed THEN the next polls show in the delivery log and the health badge with the last error', async () => {
		const [feed] = await liveFeeds();
		feeds.routes.set('/news.xml', {
			kind: 'rss',
			title: 'Fixture News',
			items: [
				...makeItems(3, { start: new Date(Date.now() - 30 * 60_000), prefix: 'news' }),
				...makeItems(1, { from: 4, start: new Date(), prefix: 'news' })
			]
		});
		await due(feed!.id);
		await waitUntil(
			() => botMessages(seed.channels.feeds),
			(list) => list.length === 2,
			20_000
		);
		const row = page.getByRole('table', { name: 'Feeds' }).locator('tbody tr').filter({ hasText: 'Fixture News' });
		await row.getByRole('button', { name: 'Delivery log of Fixture News' }).click();
		const drawer = page.getByRole('dialog', { name: /Delivery log — Fixture News/ });
		// The drawer refreshes while open; the newest poll is first.
		await drawer.locator('[data-poll]').first().locator('[data-outcome="posted"]', { hasText: 'news 4' }).waitFor({ timeout: 20_000 });
		await page.keyboard.press('Escape');
		await drawer.waitFor({ state: 'detached' });

		feeds.routes.set('/news.xml', { kind: 'status', status: 500 });
		await due(feed!.id);
		await row.locator('[data-health="failing (1 in a row)"]').waitFor({ timeout: 20_000 });
		expect(await row.locator('[data-last-error]').textContent()).toMatch(/Last error: .*HTTP 500/);
		await snapshot('feeds-failing');
		// Back to health before the next steps.
		feeds.routes.set('/news.xml', {
			kind: 'rss',
			title: 'Fixture News',
			items: makeItems(4, { start: new Date(Date.now() - 30 * 60_000), prefix: 'news' })
		});
		await due(feed!.id);
		await row.locator('[data-health="healthy"]').waitFor({ timeout: 20_000 });
	});

	it('GIVEN OPML THEN the export downloads the feeds, a malformed import is refused with its reason, and a good one imports and says what it skipped', async () => {
		const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export OPML' }).click()]);
		const exported = readFileSync((await download.path())!, 'utf8');
		expect(download.suggestedFilename()).toBe(`feeds-${seed.guildId}.opml`);
		expect(exported).toContain(`xmlUrl="${feeds.url('/news.xml')}"`);

		const input = page.locator('input[type="file"]');
		await input.setInputFiles({ name: 'broken.opml', mimeType: 'text/x-opml', buffer: Buffer.from('<opml><body><outline') });
		const dialog = page.getByRole('dialog', { name: 'Import broken.opml' });
		await dialog.getByRole('button', { name: 'Import feeds' }).click();
		await dialog.getByText('Nothing was imported').waitFor();
		expect((await liveFeeds()).length).toBe(1);
		await dialog.getByRole('button', { name: 'Cancel' }).first().click();
		await dialog.waitFor({ state: 'detached' });

		const opml = exported.replace('</body>', `<outline type="rss" text="Other" xmlUrl="${feeds.url('/other.xml')}"/></body>`);
		await input.setInputFiles({ name: 'feeds.opml', mimeType: 'text/x-opml', buffer: Buffer.from(opml) });
		const good = page.getByRole('dialog', { name: 'Import feeds.opml' });
		await pick('Channel for the other feeds', 'general', '# general');
		await snapshot('feeds-import');
		await good.getByRole('button', { name: 'Import feeds' }).click();
		const result = page.getByTestId('opml-result');
		await result.waitFor();
		expect(await result.textContent()).toMatch(/Imported 1 feed from feeds\.opml.*Skipped 1.*news\.xml — already followed/s);
		expect((await liveFeeds()).map((feed) => feed.url)).toEqual([feeds.url('/news.xml'), feeds.url('/other.xml')]);
		await page.getByRole('table', { name: 'Feeds' }).locator('tbody tr').filter({ hasText: 'other.xml' }).waitFor();
	});

	it('GIVEN remove THEN it asks first, and only the confirmation removes the feed', async () => {
		const row = page.getByRole('table', { name: 'Feeds' }).locator('tbody tr').filter({ hasText: 'other.xml' });
		await row.getByRole('button', { name: /^Remove / }).click();
		const confirm = page.getByRole('dialog', { name: 'Remove this feed?' });
		await confirm.waitFor();
		expect((await liveFeeds()).length).toBe(2);
		await snapshot('feeds-remove-confirm');
		await confirm.getByRole('button', { name: 'Remove feed' }).click();
		await row.waitFor({ state: 'detached' });
		expect((await liveFeeds()).map((feed) => feed.url)).toEqual([feeds.url('/news.xml')]);
		await snapshot('feeds');
	});
});

describe('the Dailies posts page', () => {
	it('GIVEN no posts THEN the page shows a skeleton while they load, then its empty state', async () => {
		// The list answers slowly, so what the page shows meanwhile can be seen.
		let release: () => void = () => undefined;
		const held = new Promise<void>((resolve) => {
			release = resolve;
		});
		await page.route('**/dailies/guilds/*/posts', async (route) => {
			await held;
			await route.continue();
		});
		await page
			.locator('label')
			.filter({ hasText: /^Daily posts$/ })
			.click();
		await page.getByLabel('Loading').waitFor();
		expect(await page.getByText('No daily posts yet').count()).toBe(0);
		release();
		await page.unrouteAll({ behavior: 'wait' });
		await page.waitForURL(`${bot.base}/servers/${seed.guildId}/dailies/posts`);
		await page.getByText('No daily posts yet').waitFor();
		await snapshot('posts-empty');
	});

	it('GIVEN a new post THEN bad input shows beside its field and saves nothing, and the preview is exactly the message the bot later posts', async () => {
		await page.getByRole('button', { name: 'New daily post' }).click();
		const editor = page.getByRole('region', { name: 'New daily post' });
		await editor.waitFor();
		// An empty message: the live preview's 400 names the field.
		const messageError = page.locator('#post-message-error');
		await messageError.waitFor();
		expect(await messageError.textContent()).toMatch(/required|empty|at least/i);

		const message = 'Good morning, **Facet Sandbox**! What are you working on today?';
		await page.getByRole('textbox', { name: 'Message', exact: true }).fill(message);
		await page.locator('#post-time').fill('09:30');
		await pick('Time zone', 'Europe/Berlin');
		await page.getByRole('checkbox', { name: 'Sat' }).uncheck();
		await page.getByRole('checkbox', { name: 'Sun' }).uncheck();
		const draft = editor.getByRole('figure', { name: 'Preview of this post' });
		await waitUntil(
			() => previewParts(draft),
			(parts) => parts.content === message,
			15_000
		);
		expect(await draft.locator('strong').textContent()).toBe('Facet Sandbox');
		// The preview follows the form (asked again 300 ms after each change): it ends on the last zone and days picked.
		const nextRun = await waitUntil(
			() => editor.locator('[data-next-run]').textContent(),
			(text) => /Next run: (Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:30 \(Europe\/Berlin\)/.test(text ?? ''),
			15_000
		);
		expect(nextRun).toMatch(/Next run: (Mon|Tue|Wed|Thu|Fri) \d{4}-\d\d-\d\d 09:30 \(Europe\/Berlin\)/);

		// The sandbox server has no daily channel yet: the refusal is shown beside the channel picker.
		await editor.getByRole('button', { name: 'Create post' }).click();
		const channelError = page.locator('#post-channelId-error');
		await channelError.waitFor();
		expect(await channelError.textContent()).toMatch(/required while the server has no daily channel/);
		expect((await query(bot.db.url, 'select id from dailies_post')).length).toBe(0);
		await pick('Channel', 'daily', '# daily');
		await snapshot('posts-editor');
		await editor.getByRole('button', { name: 'Create post' }).click();
		await editor.waitFor({ state: 'detached' });

		const card = page.locator('[data-post]').first();
		await card.waitFor();
		const postId = (await card.getAttribute('data-post'))!;
		expect(await card.textContent()).toMatch(/09:30 · weekdays/);
		await card.getByRole('button', { name: 'Preview', exact: true }).click();
		const exact = card.getByRole('figure', { name: `Preview of post #${postId}` });
		await exact.waitFor();
		const shown = await previewParts(exact);
		expect(shown.content).toBe(message);
		await snapshot('posts');

		// Make it due: the service's clock jumps to just after the next run; the task ticks every second.
		const at = Date.parse((await card.locator('[data-next-run]').first().getAttribute('data-next-run'))!);
		const realClock = container.dailiesPosts.clock;
		container.dailiesPosts.clock = () => new Date(at + 5_000);
		try {
			const [sent] = await waitUntil(
				() => botMessages(seed.channels.daily),
				(list) => list.length === 1,
				20_000
			);
			expect(sent!.content).toBe(shown.content);
			expect(sent!.embeds ?? []).toEqual([]);
		} finally {
			container.dailiesPosts.clock = realClock;
		}
	});

	it('GIVEN an edit THEN the save bar counts the change, the preview follows it, and saving sends it', async () => {
		const card = page.locator('[data-post]').first();
		const postId = (await card.getAttribute('data-post'))!;
		await card.getByRole('button', { name: 'Edit' }).click();
		const editor = page.getByRole('region', { name: `Edit daily post #${postId}` });
		await editor.waitFor();
		expect(await page.getByRole('region', { name: 'Unsaved changes' }).count()).toBe(0);
		await page.locator('#post-time').fill('18:45');
		const bar = page.getByRole('region', { name: 'Unsaved changes' });
		await bar.waitFor();
		expect(await bar.textContent()).toContain('1 unsaved change');
		await editor.locator('[data-next-run]').filter({ hasText: '18:45 (Europe/Berlin)' }).waitFor();
		const sent: unknown[] = [];
		page.on('request', (request) => {
			if (request.method() === 'PUT') sent.push(request.postDataJSON());
		});
		await bar.getByRole('button', { name: 'Save changes' }).click();
		await editor.waitFor({ state: 'detached' });
		expect(sent).toEqual([expect.objectContaining({ time: '18:45', channelId: seed.channels.daily, timeZone: 'Europe/Berlin' })]);
		await card.getByText(/18:45 · weekdays/).waitFor();
		const [row] = await query<{ minute_of_day: number }>(bot.db.url, 'select minute_of_day from dailies_post where id = $1', [
			Number(postId)
		]);
		expect(Number(row!.minute_of_day)).toBe(18 * 60 + 45);
	});

	it('GIVEN delete THEN it asks first, and only the confirmation deletes the post', async () => {
		const card = page.locator('[data-post]').first();
		await card.getByRole('button', { name: 'Delete' }).click();
		const confirm = page.getByRole('dialog', { name: /Delete daily post #/ });
		await confirm.waitFor();
		expect((await query(bot.db.url, 'select id from dailies_post')).length).toBe(1);
		await snapshot('posts-delete-confirm');
		await confirm.getByRole('button', { name: 'Delete post' }).click();
		await page.getByText('No daily posts yet').waitFor();
		expect((await query(bot.db.url, 'select id from dailies_post')).length).toBe(0);
	});

	it('GIVEN a phone-width screen THEN both dailies pages fit without sideways scrolling', async () => {
		await page.goto(`${bot.base}/servers/${seed.guildId}/dailies`);
		await page.getByRole('table', { name: 'Feeds' }).waitFor();
		await page.setViewportSize({ width: 390, height: 844 });
		try {
			for (const name of ['feeds', 'posts']) {
				if (name === 'posts') {
					await page.goto(`${bot.base}/servers/${seed.guildId}/dailies/posts`);
					await page.getByText('No daily posts yet').waitFor();
				}
				const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
				await snapshot(`${name}-phone`);
				expect([name, overflow]).toEqual([name, 0]);
			}
		} finally {
			await page.setViewportSize({ width: 1280, height: 900 });
		}
	});

	it('GIVEN a member without rights THEN neither dailies page nor any dailies route opens for them', async () => {
		for (const path of ['/dailies', '/dailies/posts']) {
			const reload = await fetch(`${bot.base}/servers/${seed.guildId}${path}`, { headers: { accept: 'text/html' } });
			expect([path, reload.status, reload.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
		}
		const context = await browser.newContext({ bypassCSP: true });
		const member = await context.newPage();
		await member.goto(`${bot.base}/`);
		await member.getByRole('link', { name: 'Log in with Discord' }).click();
		await member.getByRole('link', { name: /Log in as Linus/ }).click();
		await member.waitForURL(`${bot.base}/servers`);
		for (const path of ['/dailies', '/dailies/posts']) {
			await member.goto(`${bot.base}/servers/${seed.guildId}${path}`);
			await member.getByText('You cannot manage this server').waitFor();
		}
		const [feed] = await liveFeeds();
		const d = `/dailies/guilds/${seed.guildId}`;
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
				['GET', `${d}/feeds`],
				['POST', `${d}/feeds`, JSON.stringify({ url: 'http://127.0.0.1/x.xml', channelId: seed.channels.feeds, dryRun: true })],
				['GET', `${d}/feeds/${feed!.id}/log`],
				['POST', `${d}/feeds/${feed!.id}/pause`],
				['DELETE', `${d}/feeds/${feed!.id}`],
				['GET', `${d}/feeds.opml`],
				['POST', `${d}/feeds.opml`, JSON.stringify({ opml: '<opml/>' })],
				['GET', `${d}/posts`],
				['POST', `${d}/posts`, JSON.stringify({ time: '09:00', message: 'x', channelId: seed.channels.daily })],
				['POST', `${d}/posts/preview`, JSON.stringify({ time: '09:00', message: 'x' })]
			] as [string, string, string?][]
		);
		expect(statuses.filter((line) => !line.endsWith(' 403'))).toEqual([]);
		// Nothing changed: the feed is still followed and not paused, no post was added.
		expect(await query(bot.db.url, "select id, state from dailies_feed where state <> 'removed'")).toEqual([
			{ id: Number(feed!.id), state: 'active' }
		]);
		expect(await query(bot.db.url, 'select id from dailies_post')).toEqual([]);
		await context.close();
	});

	it('GIVEN every dailies page visited THEN axe-core found no serious or critical violations, and no script failed', () => {
		expect(violations).toEqual([]);
		expect(pageErrors).toEqual([]);
	});
});
