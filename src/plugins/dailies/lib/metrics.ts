import { container } from '@sapphire/framework';

/**
 * The dailies plugin's metrics, registered through the core registry (`container.metrics`) on first use: what the
 * worker's ticks posted, and the health of the feeds.
 */
export function dailiesMetrics() {
	const { metrics } = container;
	return {
		posts: metrics.counter('facet_dailies_posts_total', 'Daily posts by outcome: sent on time, sent late (after downtime), skipped', {
			labelNames: ['outcome']
		}),
		polls: metrics.counter('facet_dailies_feed_polls_total', 'Feed polls by result, and feed items posted', { labelNames: ['result'] }),
		feeds: metrics.gauge(
			'facet_dailies_feeds',
			'Feeds by state (active, paused_failures, paused_channel, …), read from the database at scrape time',
			{
				labelNames: ['state'],
				async collect() {
					if (!container.orm) return;
					const rows = await container.orm.em
						.fork()
						.getConnection()
						.execute<{ state: string; n: string }[]>('select state, count(*) as n from dailies_feed group by state');
					this.reset();
					for (const row of rows) this.set({ state: row.state }, Number(row.n));
				}
			}
		)
	};
}
