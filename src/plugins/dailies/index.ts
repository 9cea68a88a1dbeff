import { container } from '@sapphire/framework';
import { dailiesMigrations } from '../../../migrations/dailies/index.ts';
import { definePlugin, pluginDirectory } from '../../core/plugins/manifest.ts';
import { DailiesDeliveryLog } from './entities/DailiesDeliveryLog.ts';
import { DailiesFeed } from './entities/DailiesFeed.ts';
import { DailiesPost } from './entities/DailiesPost.ts';
import { DailiesPostRun } from './entities/DailiesPostRun.ts';
import { DailiesSeenItem } from './entities/DailiesSeenItem.ts';
import { channelProblem } from './lib/channels.ts';
import { FeedFetcher } from './lib/fetch.ts';
import { FeedPoller } from './lib/poller.ts';
import { restSender } from './lib/posts/sender.ts';
import { DailyPostService } from './lib/posts/service.ts';
import { DailiesPostsEnv } from './lib/posts/settings.ts';
import { discordSender } from './lib/sender.ts';
import { FeedService } from './lib/service.ts';
import { DailiesEnv, DailiesSettings } from './lib/settings.ts';

export type { FeedPoller } from './lib/poller.ts';
export type { DailyPostService } from './lib/posts/service.ts';
export { DailiesPostsEnv } from './lib/posts/settings.ts';
export type { FeedService } from './lib/service.ts';
export { DailiesEnv, DailiesSettings } from './lib/settings.ts';

declare module '@sapphire/pieces' {
	interface Container {
		/** Feeds: add, list, preview, resume, remove, OPML (present when the dailies plugin is loaded). */
		dailiesFeeds: FeedService;
		/** The feed poller the `dailiesPollFeeds` task drives. */
		dailiesPoller: FeedPoller;
		/** Daily posts: add, list, preview, skip, and the tick the `dailiesPostsTick` task drives. */
		dailiesPosts: DailyPostService;
	}
}

const NAME = 'dailies';

/** Feeds polled into channels, and daily posts at the guild's local time. */
export const dailiesPlugin = definePlugin({
	name: NAME,
	description: 'Feeds (RSS, Atom, JSON Feed, YouTube) posted into channels, and daily posts',
	defaultEnabled: true,
	required: false,
	directory: pluginDirectory(NAME),
	settings: DailiesSettings,
	env: DailiesEnv.extend(DailiesPostsEnv.shape),
	entities: [DailiesFeed, DailiesSeenItem, DailiesDeliveryLog, DailiesPost, DailiesPostRun],
	migrations: dailiesMigrations,
	start({ env, orm, client, logger }) {
		const own = DailiesEnv.parse(env);
		const fetcher = new FeedFetcher({ allowPrivate: own.DAILIES_ALLOW_PRIVATE_FEEDS ?? env.mode === 'sandbox' });
		const settings = (guildId: string) => container.plugins.settings<DailiesSettings>(guildId, NAME);
		const hooks = {
			timeZoneOf: (guildId: string) => container.guildFacts.of(guildId).timeZone,
			localeOf: (guildId: string) => container.guildFacts.of(guildId).locale,
			alertsChannelOf: (guildId: string) => settings(guildId).alertsChannel,
			channelProblem: (guildId: string, channelId: string) => channelProblem(client, guildId, channelId)
		};
		const sender = discordSender(client);
		container.dailiesPoller = new FeedPoller(orm, fetcher, sender, hooks, logger.child({ source: 'poller' }), {
			concurrency: own.DAILIES_POLL_CONCURRENCY,
			perHost: own.DAILIES_POLL_PER_HOST
		});
		container.dailiesFeeds = new FeedService(orm, fetcher, sender, hooks, {
			maxFeeds: own.DAILIES_MAX_FEEDS,
			youtubeBase: own.DAILIES_YOUTUBE_URL
		});
		const posts = DailiesPostsEnv.parse(env);
		container.dailiesPosts = new DailyPostService(
			{
				orm,
				sender: restSender(client.rest),
				facts: (guildId) => container.guildFacts.of(guildId),
				logger: logger.child({ source: 'posts' })
			},
			{ maxPostsPerGuild: posts.DAILIES_MAX_POSTS }
		);
	},
	async stop() {
		await container.dailiesPoller?.stop();
	}
});
