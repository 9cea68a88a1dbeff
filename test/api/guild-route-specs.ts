import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { container } from '@sapphire/pieces';
import { channelProblem } from '../../src/plugins/dailies/lib/channels.ts';
import { postChannelProblem } from '../../src/plugins/dailies/lib/posts/channels.ts';
import { PostSwitch, parsePostInput } from '../../src/plugins/dailies/lib/posts/input.ts';
import { templateProblem } from '../../src/plugins/dailies/lib/render.ts';
import { planOpmlImport } from '../../src/plugins/dailies/lib/service.ts';
import { FeedBody, OpmlImportBody } from '../../src/plugins/dailies/routes/_shared.ts';
import { parseImportCsv } from '../../src/plugins/mileage/lib/csv.ts';
import { dangerousPermissions } from '../../src/plugins/mileage/lib/grants.ts';
import { AdjustBody, ImportJsonBody, mileageJobs, ReverseBody, TierBody } from '../../src/plugins/mileage/routes/_shared.ts';
import { NoteSchema, notesKey } from './fixtures/notes-route.ts';

/** What a spec gets to build paths, bodies and read state. */
export interface SpecContext {
	guildId: string;
}

/**
 * How the guild-route matrix (`guild-routes.matrix.test.ts`) exercises one route with a `[guild]` parameter,
 * keyed `"METHOD path"` exactly as the route store spells it (`"PATCH guilds/[guild]/plugins/[plugin]/settings"`).
 *
 * Every **writing** route (POST/PUT/PATCH/DELETE) must have an entry with `readState`, and — unless it takes no
 * body — `accepts` and `validBody`; a writing route without one fails the matrix. Reading routes need an entry
 * only to name their other path parameters.
 */
export interface GuildRouteSpec {
	/** Values of path parameters other than `[guild]`, used for every request the matrix sends. */
	params?(ctx: SpecContext): Record<string, string>;
	/** `'none'`: the route reads no body; the matrix then checks arbitrary bodies change nothing and never 500. */
	body?: 'json' | 'none';
	/** Whether the route accepts a body (mirror its schema, e.g. `(b) => Schema.safeParse(b).success`): accepted bodies are not "bad". */
	accepts?(body: unknown): boolean;
	/** A body the route accepts from a manager: the positive control, and the base that bad bodies mutate. */
	validBody?(ctx: SpecContext): Record<string, unknown>;
	/** Prepares the positive control (e.g. makes the audit entry to revert) and returns the params to use for it. */
	prepare?(ctx: SpecContext): Promise<Record<string, string>>;
	/** Reads back everything the route could write (the resource, a query, Redis keys…). */
	readState?(ctx: SpecContext): Promise<unknown>;
	/** A POST that writes nothing even when it accepts the body (a preview): its positive control leaves the state as it was. */
	writesNothing?: true;
}

/** The plugin the plugin routes are exercised with (the test fixture `echo`, settings `{ prefix: string(1..10) }`). */
const PLUGIN = 'echo';

/** Everything the core plugin routes can change in a guild: switches, settings and the audit log. */
async function pluginState({ guildId }: SpecContext) {
	const audit = await container.plugins.audit(guildId, { limit: 100 });
	return {
		enabled: container.plugins.list().map((p) => [p.name, container.plugins.isEnabled(guildId, p.name)]),
		settings: container.plugins.list().map((p) => [p.name, container.plugins.settings(guildId, p.name)]),
		audit: audit.map((entry) => entry.id)
	};
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** The guild's ledger and totals, once every import or sync job this process started has ended. */
async function mileageState({ guildId }: SpecContext) {
	await mileageJobs().settled();
	const em = container.orm.em.fork();
	const [ledger] = await em.execute('select count(*) as n, coalesce(sum(delta), 0) as points from mileage_event where guild_id = ?', [
		guildId
	]);
	const totals = await em.execute('select user_id, points from mileage_total where guild_id = ? order by user_id', [guildId]);
	return { ledger, totals };
}

/** The guild's tiers and its recent mileage jobs (a sync is a job), once running jobs have ended. */
async function mileageTierState({ guildId }: SpecContext) {
	await mileageJobs().settled();
	return {
		tiers: container.mileageTiers.list(guildId).map((tier) => ({ ...tier })),
		jobs: (await mileageJobs().list(guildId)).map((j) => j.id)
	};
}

/** A member of the guild to give points to: its owner (any well-formed id for a guild the bot is not in). */
const ownerOf = (guildId: string) => container.client.guilds.cache.get(guildId)?.ownerId ?? '100000000000000000';

/**
 * True when some guild has this role and a tier may use it (not `@everyone`, not managed, and without moderator
 * permissions unless the body confirms).
 */
const tierRole = (roleId: unknown, confirm: unknown) =>
	container.client.guilds.cache.some((guild) => {
		const role = typeof roleId === 'string' ? guild.roles.cache.get(roleId) : undefined;
		return (
			role !== undefined &&
			role.id !== guild.id &&
			!role.managed &&
			(confirm === true || dangerousPermissions(role.permissions).length === 0)
		);
	});

/** One RSS feed on loopback for the dailies routes' positive controls (the sandbox allows private feeds). */
const feedServer = createServer((_request, response) => {
	response.writeHead(200, { 'content-type': 'application/rss+xml' });
	response.end(
		'<?xml version="1.0"?><rss version="2.0"><channel><title>Matrix</title><item><title>One</title><guid>matrix-1</guid><link>https://example.org/1</link></item></channel></rss>'
	);
});
await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
feedServer.unref();
const FEED_URL = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/matrix.xml`;

/** A channel of the guild the bot can post feed items in. */
const feedChannel = (guildId: string) =>
	container.client.guilds.cache
		.get(guildId)
		?.channels.cache.find((channel) => channelProblem(container.client, guildId, channel.id) === null)?.id ?? '100000000000000000';

/** The guild's feeds (every column an operation can change) and how many items they have seen. */
async function dailiesFeedState({ guildId }: SpecContext) {
	const em = container.orm.em.fork();
	const feeds = await em.execute('select * from dailies_feed where guild_id = ? order by id', [guildId]);
	const [seen] = await em.execute(
		'select count(*) as n from dailies_seen_item s join dailies_feed f on f.id = s.feed_id where f.guild_id = ?',
		[guildId]
	);
	return { feeds, seen };
}

/** A feed row made for a route to act on (`state` as given), answering its id. */
async function makeFeed(guildId: string, state: string): Promise<Record<string, string>> {
	const [row] = await container.orm.em
		.fork()
		.execute<{ id: number }[]>(
			`insert into dailies_feed (guild_id, url, kind, channel_id, state, primed) values (?, ?, 'rss', ?, ?, true) returning id`,
			[guildId, `${FEED_URL}?${Math.random()}`, feedChannel(guildId), state]
		);
	return { feed: String(row!.id) };
}

/** The guild's daily posts and their runs. */
async function dailiesPostState({ guildId }: SpecContext) {
	const em = container.orm.em.fork();
	return {
		posts: await em.execute('select * from dailies_post where guild_id = ? order by id', [guildId]),
		runs: await em.execute('select * from dailies_post_run where guild_id = ? order by id', [guildId])
	};
}

/** A channel of the guild a daily post may go to. */
const postChannel = (guildId: string) => {
	const guild = container.client.guilds.cache.get(guildId);
	return guild?.channels.cache.find((channel) => postChannelProblem(guild, channel.id) === null)?.id ?? '100000000000000000';
};

/** A time of day twelve hours from now (UTC), so no run of a matrix post falls due while the matrix runs. */
const farTime = () => `${String((new Date().getUTCHours() + 12) % 24).padStart(2, '0')}:00`;

/** A daily post made for a route to act on. */
async function preparePost({ guildId }: SpecContext) {
	const parsed = parsePostInput({ time: farTime(), message: 'prepared', channelId: postChannel(guildId) });
	if (!parsed.ok) throw new Error('the prepared daily post is invalid');
	const post = await container.dailiesPosts.add(guildId, parsed.spec, null);
	return { post: String(post.id) };
}

/** Routes and how to test them. Add an entry with every new writing guild route. */
export const guildRouteSpecs: Record<string, GuildRouteSpec> = {
	'POST apitest/guilds/[guild]/notes': {
		accepts: (body) => NoteSchema.safeParse(body).success,
		validBody: () => ({ title: 'Welcome', pinned: false, tags: ['a'], remind: null }),
		readState: ({ guildId }) => container.redis.lrange(notesKey(guildId), 0, -1)
	},
	'GET guilds/[guild]/plugins/[plugin]': { params: () => ({ plugin: PLUGIN }) },
	'GET guilds/[guild]/plugins/[plugin]/settings': { params: () => ({ plugin: PLUGIN }) },
	'PUT guilds/[guild]/plugins/[plugin]': {
		params: () => ({ plugin: PLUGIN }),
		accepts: (body) => isPlainObject(body) && Object.keys(body).length === 1 && typeof body.enabled === 'boolean',
		validBody: () => ({ enabled: false }),
		readState: pluginState
	},
	'PATCH guilds/[guild]/plugins/[plugin]/settings': {
		params: () => ({ plugin: PLUGIN }),
		accepts: (body) =>
			isPlainObject(body) &&
			Object.keys(body).length > 0 &&
			Object.keys(body).every((key) => key === 'prefix') &&
			(body.prefix === null || (typeof body.prefix === 'string' && body.prefix.length >= 1 && body.prefix.length <= 10)),
		validBody: () => ({ prefix: 'matrix:' }),
		readState: pluginState
	},
	'POST guilds/[guild]/audit/[entry]/revert': {
		body: 'none',
		// An entry that does not exist: refusals and stray bodies must not revert anything.
		params: () => ({ entry: '999999999' }),
		async prepare({ guildId }) {
			await container.plugins.updateSettings(guildId, PLUGIN, { prefix: 'before:' }, { id: '1', source: 'system' });
			const [latest] = await container.plugins.audit(guildId, { limit: 1 });
			return { entry: String(latest!.id) };
		},
		readState: pluginState
	},
	'GET mileage/guilds/[guild]/members/[user]': { params: ({ guildId }) => ({ user: ownerOf(guildId) }) },
	'POST mileage/guilds/[guild]/members/[user]/adjust': {
		params: ({ guildId }) => ({ user: ownerOf(guildId) }),
		accepts: (body) => AdjustBody.safeParse(body).success,
		validBody: () => ({ points: 5, reason: 'matrix' }),
		readState: mileageState
	},
	'POST mileage/guilds/[guild]/events/[event]/reverse': {
		// An event that does not exist: refusals and bad bodies must not reverse anything.
		params: () => ({ event: '999999999' }),
		accepts: (body) => ReverseBody.safeParse(body).success,
		validBody: () => ({ reason: 'matrix' }),
		async prepare({ guildId }) {
			const { entry } = await container.mileage.adjust(guildId, ownerOf(guildId), 7, 'to reverse', ownerOf(guildId));
			return { event: String(entry.id) };
		},
		readState: mileageState
	},
	'POST mileage/guilds/[guild]/import': {
		accepts: (body) => {
			const parsed = ImportJsonBody.safeParse(body);
			return parsed.success && parseImportCsv(parsed.data.csv).errorCount === 0;
		},
		validBody: ({ guildId }) => ({ csv: `user_id,points,note\n${ownerOf(guildId)},3,matrix\n` }),
		readState: mileageState
	},
	'POST mileage/guilds/[guild]/tiers': {
		accepts: (body) =>
			TierBody.safeParse(body).success && tierRole((body as { roleId: unknown }).roleId, (body as { confirm?: unknown }).confirm),
		validBody: ({ guildId }) => {
			const guild = container.client.guilds.cache.get(guildId);
			const role = guild?.roles.cache.find((r) => r.id !== guild.id && !r.managed && dangerousPermissions(r.permissions).length === 0);
			return { name: 'Matrix', threshold: 100, roleId: role?.id ?? '100000000000000000' };
		},
		readState: mileageTierState
	},
	'DELETE mileage/guilds/[guild]/tiers/[tier]': {
		body: 'none',
		params: () => ({ tier: '999999' }),
		async prepare({ guildId }) {
			const tier = await container.mileageTiers.add(guildId, { name: 'Doomed', threshold: 2_000, roleId: '100000000000000001' });
			return { tier: String(tier.id) };
		},
		readState: mileageTierState
	},
	'POST dailies/guilds/[guild]/posts': {
		// The matrix guilds have no daily channel: a valid post names a channel the bot can post in.
		accepts: (body) => {
			const parsed = parsePostInput(body);
			if (!parsed.ok || parsed.spec.channelId === null) return false;
			const channelId = parsed.spec.channelId;
			return container.client.guilds.cache.some(
				(guild) => guild.channels.cache.has(channelId) && postChannelProblem(guild, channelId) === null
			);
		},
		validBody: ({ guildId }) => ({ time: farTime(), message: 'Matrix morning', channelId: postChannel(guildId) }),
		readState: dailiesPostState
	},
	'PUT dailies/guilds/[guild]/posts/[post]': {
		params: () => ({ post: '999999' }),
		// The body of an add: a channel the bot can post in (the matrix guilds have no daily channel).
		accepts: (body) => {
			const parsed = parsePostInput(body);
			if (!parsed.ok || parsed.spec.channelId === null) return false;
			const channelId = parsed.spec.channelId;
			return container.client.guilds.cache.some(
				(guild) => guild.channels.cache.has(channelId) && postChannelProblem(guild, channelId) === null
			);
		},
		validBody: ({ guildId }) => ({ time: farTime(), message: 'Matrix evening', channelId: postChannel(guildId) }),
		prepare: preparePost,
		readState: dailiesPostState
	},
	'POST dailies/guilds/[guild]/posts/preview': {
		// A draft may follow the server's channel (null), or name one the bot can post in.
		accepts: (body) => {
			const parsed = parsePostInput(body);
			if (!parsed.ok) return false;
			const channelId = parsed.spec.channelId;
			return (
				channelId === null ||
				container.client.guilds.cache.some((guild) => guild.channels.cache.has(channelId) && postChannelProblem(guild, channelId) === null)
			);
		},
		validBody: ({ guildId }) => ({ time: farTime(), message: 'Matrix draft', channelId: postChannel(guildId) }),
		readState: dailiesPostState,
		writesNothing: true
	},
	'PATCH dailies/guilds/[guild]/posts/[post]': {
		params: () => ({ post: '999999' }),
		accepts: (body) => PostSwitch.safeParse(body).success,
		validBody: () => ({ enabled: false }),
		prepare: preparePost,
		readState: dailiesPostState
	},
	'DELETE dailies/guilds/[guild]/posts/[post]': {
		body: 'none',
		params: () => ({ post: '999999' }),
		prepare: preparePost,
		readState: dailiesPostState
	},
	'POST dailies/guilds/[guild]/posts/[post]/skip-next': {
		body: 'none',
		params: () => ({ post: '999999' }),
		prepare: preparePost,
		readState: dailiesPostState
	},
	'POST mileage/guilds/[guild]/tiers/sync': {
		// Without tiers the route refuses (409), which is what the refusal and stray-body checks see.
		body: 'none',
		async prepare({ guildId }) {
			if (container.mileageTiers.list(guildId).length === 0) {
				await container.mileageTiers.add(guildId, { name: 'Synced', threshold: 1_000, roleId: '100000000000000002' });
			}
			return {};
		},
		readState: mileageTierState
	},
	'POST dailies/guilds/[guild]/feeds': {
		accepts: (body) => {
			const parsed = FeedBody.safeParse(body);
			if (!parsed.success || parsed.data.url !== FEED_URL) return false;
			const guildId = container.client.guilds.cache.find((guild) => guild.channels.cache.has(parsed.data.channelId))?.id;
			if (!guildId || channelProblem(container.client, guildId, parsed.data.channelId)) return false;
			return (
				parsed.data.template === undefined ||
				parsed.data.template === null ||
				templateProblem(parsed.data.template, parsed.data.format ?? 'embed') === null
			);
		},
		validBody: ({ guildId }) => ({
			url: FEED_URL,
			channelId: feedChannel(guildId),
			template: '{title} {link}',
			format: 'text',
			exclude: ['spam']
		}),
		readState: dailiesFeedState
	},
	'POST dailies/guilds/[guild]/feeds.opml': {
		accepts: (body) => {
			const parsed = OpmlImportBody.safeParse(body);
			if (!parsed.success) return false;
			try {
				// Channels are checked in the guild of the positive control; a body naming no usable channel is refused.
				const guild = container.client.guilds.cache.find((g) => channelProblem(container.client, g.id, feedChannel(g.id)) === null);
				planOpmlImport(parsed.data.opml, parsed.data, (channelId) =>
					guild ? channelProblem(container.client, guild.id, channelId) : 'unknown'
				);
				return true;
			} catch {
				return false;
			}
		},
		validBody: ({ guildId }) => ({
			opml: `<?xml version="1.0"?><opml version="2.0"><head><title>m</title></head><body><outline type="rss" text="Matrix" xmlUrl="${FEED_URL}?opml"/></body></opml>`,
			defaultChannelId: feedChannel(guildId)
		}),
		readState: dailiesFeedState
	},
	'DELETE dailies/guilds/[guild]/feeds/[feed]': {
		body: 'none',
		params: () => ({ feed: '999999999' }),
		prepare: ({ guildId }) => makeFeed(guildId, 'active'),
		readState: dailiesFeedState
	},
	'POST dailies/guilds/[guild]/feeds/[feed]/pause': {
		body: 'none',
		params: () => ({ feed: '999999999' }),
		prepare: ({ guildId }) => makeFeed(guildId, 'active'),
		readState: dailiesFeedState
	},
	'POST dailies/guilds/[guild]/feeds/[feed]/resume': {
		body: 'none',
		params: () => ({ feed: '999999999' }),
		prepare: ({ guildId }) => makeFeed(guildId, 'paused_failures'),
		readState: dailiesFeedState
	}
};
