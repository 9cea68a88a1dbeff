import type { MessagePayload } from './render.ts';
import { truncate } from './render.ts';
import type { DeliveryRecord, FeedRow } from './store.ts';

/*
 * How the feed commands show feeds, their health and their delivery log (pure, so tested without Discord).
 */

const STATE_LABEL: Record<FeedRow['state'], string> = {
	active: '🟢 active',
	paused_admin: '⏸️ paused by an admin',
	paused_failures: '🔴 paused after failures',
	paused_channel: '🔴 paused: channel unusable',
	removed: 'removed'
};

const when = (date: Date | null) => (date ? `<t:${Math.floor(date.getTime() / 1000)}:R>` : 'never');

/** One feed's line in `/dailies feed list`: state, channel, last success, failures, last error. */
export function feedLine(feed: FeedRow): string {
	const parts = [`**#${feed.id}** ${truncate(feed.title ?? feed.url, 80)} → <#${feed.channelId}> · ${STATE_LABEL[feed.state]}`];
	parts.push(
		`last success ${when(feed.lastSuccessAt)}${feed.consecutiveFailures ? ` · ${feed.consecutiveFailures} failure${feed.consecutiveFailures === 1 ? '' : 's'} in a row` : ''}`
	);
	if (feed.pausedReason && feed.state !== 'active') parts.push(`reason: ${truncate(feed.pausedReason, 200)}`);
	else if (feed.lastError) parts.push(`last error: ${truncate(feed.lastError, 200)}`);
	return parts.join('\n  ');
}

/** `/dailies feed list`: every feed with its health, within an embed's limits. */
export function feedListMessage(feeds: readonly FeedRow[], limit: number): Pick<MessagePayload, 'embeds'> {
	const lines = feeds.map(feedLine);
	let description = '';
	for (const [index, line] of lines.entries()) {
		const more = `\n…and ${lines.length - index} more (see the dashboard)`;
		if (description.length + line.length + 2 + more.length > 4096) {
			description += more;
			break;
		}
		description += `${description ? '\n' : ''}${line}`;
	}
	return {
		embeds: [
			{
				title: `Feeds (${feeds.length} of ${limit})`,
				description: description || 'No feeds yet. Add one with `/dailies feed add`.'
			}
		]
	};
}

/** `/dailies feed log`: the last polls, and why each new item was or was not posted. */
export function feedLogMessage(feed: FeedRow, polls: readonly (DeliveryRecord & { id: number })[]): Pick<MessagePayload, 'embeds'> {
	const blocks: string[] = [];
	for (const poll of polls.slice(0, 10)) {
		const skipped = Object.entries(poll.skipped)
			.map(([reason, count]) => `${count} ${reason.replace('_', ' ')}`)
			.join(', ');
		const head = `${when(poll.polledAt)} · ${poll.httpStatus ?? 'no answer'}${poll.error ? ` · ${truncate(poll.error, 150)}` : ''} · found ${poll.found}, posted ${poll.posted}${skipped ? `, skipped ${skipped}` : ''}`;
		const items = poll.items
			.slice(0, 6)
			.map(
				(item) =>
					`  • ${truncate(item.title ?? item.link ?? '(untitled)', 60)}: **${item.outcome.replace('_', ' ')}**${item.reason ? ` — ${truncate(item.reason, 120)}` : ''}`
			);
		if (poll.items.length > 6) items.push(`  • …and ${poll.items.length - 6} more`);
		blocks.push([head, ...items].join('\n'));
	}
	let description = '';
	for (const block of blocks) {
		if (description.length + block.length + 1 > 4000) break;
		description += `${description ? '\n' : ''}${block}`;
	}
	return {
		embeds: [
			{ title: truncate(`Delivery log of #${feed.id} ${feed.title ?? feed.url}`, 256), description: description || 'Not polled yet.' }
		]
	};
}
