import { container } from '@sapphire/framework';
import { z } from 'zod';
import { dailiesMigrations } from '../../../migrations/dailies/index.ts';
import { definePlugin, pluginDirectory } from '../../core/plugins/manifest.ts';
import { DailiesPost } from './entities/DailiesPost.ts';
import { DailiesPostRun } from './entities/DailiesPostRun.ts';
import { restSender } from './lib/posts/sender.ts';
import { DailyPostService } from './lib/posts/service.ts';
import { DailiesPostsEnv } from './lib/posts/settings.ts';

export type { DailyPostService } from './lib/posts/service.ts';
export { DailiesPostsEnv } from './lib/posts/settings.ts';

declare module '@sapphire/pieces' {
	interface Container {
		/** Daily posts: add, list, preview, skip, and the tick the `dailiesPostsTick` task drives. */
		dailiesPosts: DailyPostService;
	}
}

const NAME = 'dailies';

/** Feeds polled into channels, and daily posts at the guild's local time. */
export const dailiesPlugin = definePlugin({
	name: NAME,
	description: 'Daily posts at the server’s local time (and feeds)',
	defaultEnabled: true,
	required: false,
	directory: pluginDirectory(NAME),
	settings: z.object({}),
	env: DailiesPostsEnv,
	entities: [DailiesPost, DailiesPostRun],
	migrations: dailiesMigrations,
	start({ env, orm, client, logger }) {
		const own = DailiesPostsEnv.parse(env);
		container.dailiesPosts = new DailyPostService(
			{
				orm,
				sender: restSender(client.rest),
				facts: (guildId) => container.guildFacts.of(guildId),
				logger: logger.child({ source: 'posts' })
			},
			{ maxPostsPerGuild: own.DAILIES_MAX_POSTS }
		);
	}
});
