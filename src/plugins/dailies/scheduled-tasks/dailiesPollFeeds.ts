import { container } from '@sapphire/framework';
import { ScheduledTask } from '@sapphire/plugin-scheduled-tasks';
import { dailiesMetrics } from '../lib/metrics.ts';
import { DailiesEnv } from '../lib/settings.ts';

/**
 * Every DAILIES_POLL_TICK_MS (default 30 s), polls the due feeds of the guilds where dailies is on (the core hands
 * those as `guildIds`). BullMQ runs each tick on one worker; feeds are claimed in the database besides, so ticks
 * that overlap (a slow cycle, several processes) never poll one feed twice.
 */
export class DailiesPollFeedsTask extends ScheduledTask {
	public constructor(context: ScheduledTask.LoaderContext, options: ScheduledTask.Options) {
		super(context, { ...options, name: 'dailiesPollFeeds', interval: DailiesEnv.parse(container.env).DAILIES_POLL_TICK_MS });
	}

	public async run(payload: unknown) {
		const guildIds = (payload as { guildIds?: string[] } | undefined)?.guildIds;
		if (!guildIds?.length) return;
		const result = await this.container.dailiesPoller.runCycle(guildIds);
		const { polls } = dailiesMetrics();
		polls.inc({ result: 'ok' }, result.polled - result.failed);
		polls.inc({ result: 'failed' }, result.failed);
		polls.inc({ result: 'items_posted' }, result.posted);
		if (result.polled > 0) this.container.log.debug({ plugin: 'dailies', ...result }, 'feeds polled');
	}
}
