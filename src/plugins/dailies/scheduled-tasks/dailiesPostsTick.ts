import { container } from '@sapphire/framework';
import { ScheduledTask } from '@sapphire/plugin-scheduled-tasks';
import { dailiesMetrics } from '../lib/metrics.ts';
import { DailiesPostsEnv } from '../lib/posts/settings.ts';

/**
 * Repeated on BullMQ (one run per interval across every worker sharing the queue): posts the daily posts that are due
 * in the guilds where the plugin is on (the core gate passes them as `guildIds`). Exactly-once does not rest on BullMQ:
 * the service claims each run in the database before sending.
 */
export class DailiesPostsTickTask extends ScheduledTask {
	public constructor(context: ScheduledTask.LoaderContext, options: ScheduledTask.Options) {
		super(context, { ...options, name: 'dailiesPostsTick', interval: DailiesPostsEnv.parse(container.env).DAILIES_POSTS_TICK_MS });
	}

	public async run(payload: { guildIds?: string[] } | undefined) {
		const guildIds = payload?.guildIds ?? [];
		if (guildIds.length === 0 || !this.container.dailiesPosts) return;
		const result = await this.container.work.track(this.container.dailiesPosts.tick(guildIds));
		const { posts } = dailiesMetrics();
		posts.inc({ outcome: 'sent' }, result.posted);
		posts.inc({ outcome: 'late' }, result.late);
		posts.inc({ outcome: 'skipped' }, result.skipped);
	}
}
