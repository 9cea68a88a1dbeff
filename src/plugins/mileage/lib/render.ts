import { ActionRowBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import type { MileageReason } from '../entities/MileageEvent.ts';
import { MileageError, MileageIdentifiers } from './errors.ts';
import type { LedgerEntry } from './store.ts';
import type { TierView } from './tier-service.ts';

// Pure rendering of mileage answers: commands and the leaderboard buttons call these, tests read their output.

/** Members per leaderboard page. */
export const LEADERBOARD_PAGE_SIZE = 10;

/** Prefix of the leaderboard buttons' custom ids: `mileage.lb:<guild id>:<page>`. */
export const LEADERBOARD_PREFIX = 'mileage.lb';

const LEADERBOARD_ID = /^mileage\.lb:(\d{17,20}):(-?\d{1,9})$/;

const number = new Intl.NumberFormat('en-US');
/** `1,234` / `-5`. */
export const formatPoints = (points: number) => number.format(points);
/** `+5` / `-5`. */
export const formatDelta = (delta: number) => (delta > 0 ? `+${number.format(delta)}` : number.format(delta));

/** The custom id of a button that opens `page` of `guildId`'s leaderboard. */
export function leaderboardCustomId(guildId: string, page: number): string {
	return `${LEADERBOARD_PREFIX}:${guildId}:${page}`;
}

/**
 * Reads a leaderboard button's custom id pressed in `guildId`. Null when the id is not a leaderboard button;
 * a button made in another server or pointing before the first page is refused with an identifier.
 */
export function parseLeaderboardCustomId(customId: string, guildId: string | null): { page: number } | null {
	if (!customId.startsWith(`${LEADERBOARD_PREFIX}:`)) return null;
	const match = LEADERBOARD_ID.exec(customId);
	if (!match)
		throw new MileageError(MileageIdentifiers.InvalidPage, 'That leaderboard button is broken; run `/mileage leaderboard` again.');
	const [, madeIn, page] = match as unknown as [string, string, string];
	if (madeIn !== guildId) {
		throw new MileageError(MileageIdentifiers.ForeignLeaderboard, 'That leaderboard belongs to another server.', { madeIn, guildId });
	}
	const target = Number(page);
	if (target < 1) throw new MileageError(MileageIdentifiers.InvalidPage, 'There is no page before the first one.', { page: target });
	return { page: target };
}

/** A page of the leaderboard as the service returns it. */
export interface LeaderboardView {
	page: number;
	pages: number;
	members: number;
	entries: { userId: string; points: number; rank: number }[];
}

/** The leaderboard message: an embed and Previous/Next buttons (disabled at the ends). */
export function leaderboardMessage(guildId: string, guildName: string, view: LeaderboardView) {
	const lines = view.entries.map((entry) => `**#${entry.rank}** <@${entry.userId}> — ${formatPoints(entry.points)} points`);
	const embed = new EmbedBuilder()
		.setTitle(`Mileage leaderboard — ${guildName}`)
		.setDescription(lines.length > 0 ? lines.join('\n') : 'Nobody has any points yet.')
		.setFooter({ text: `Page ${view.page} of ${view.pages} · ${formatPoints(view.members)} members with points` });
	const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
		new ButtonBuilder()
			.setCustomId(leaderboardCustomId(guildId, view.page - 1))
			.setLabel('Previous')
			.setStyle(ButtonStyle.Secondary)
			.setDisabled(view.page <= 1),
		new ButtonBuilder()
			.setCustomId(leaderboardCustomId(guildId, view.page + 1))
			.setLabel('Next')
			.setStyle(ButtonStyle.Secondary)
			.setDisabled(view.page >= view.pages)
	);
	return { embeds: [embed], components: [row], allowedMentions: { parse: [] } };
}

/** A member's points and rank. `pending` points are counted but not yet written. */
export function standingEmbed(userId: string, standing: { points: number; rank: number | null; pending: number }) {
	const rank = standing.rank === null ? 'not ranked yet' : `#${standing.rank}`;
	const embed = new EmbedBuilder()
		.setTitle('Mileage')
		.setDescription(`<@${userId}> has **${formatPoints(standing.points)}** points · rank ${rank}`);
	if (standing.pending !== 0) embed.setFooter({ text: `${formatDelta(standing.pending)} of them are still being saved` });
	return embed;
}

const REASON_LABELS: Record<MileageReason, string> = {
	message: 'messages',
	reaction: 'reactions',
	join: 'joined',
	voice: 'voice',
	adjust: 'adjusted',
	reversal: 'reversal',
	import: 'imported'
};

/** One ledger line: `#12 +5 adjusted — "reason" · reversed by #14`. */
export function historyLine(entry: LedgerEntry): string {
	const parts = [`\`#${entry.id}\``, `**${formatDelta(entry.delta)}**`, REASON_LABELS[entry.reason]];
	if (entry.reversesEventId !== null) parts.push(`of #${entry.reversesEventId}`);
	let line = parts.join(' ');
	if (entry.note) line += ` — “${entry.note.replaceAll('\n', ' ')}”`;
	if (entry.actorId) line += ` by <@${entry.actorId}>`;
	line += ` · <t:${Math.floor(entry.createdAt.getTime() / 1000)}:R>`;
	if (entry.reversedByEventId !== null) line = `~~${line}~~ · reversed by #${entry.reversedByEventId}`;
	return line;
}

/** A member's recent ledger entries, newest first. */
export function historyEmbed(userId: string, entries: readonly LedgerEntry[]) {
	return new EmbedBuilder()
		.setTitle('Mileage history')
		.setDescription(
			entries.length > 0 ? [`<@${userId}>`, ...entries.map(historyLine)].join('\n').slice(0, 4_096) : `<@${userId}> has no entries yet.`
		);
}

/** The guild's tiers with the problem that keeps each from being assigned, and the moderator permissions its role grants. */
export function tierListEmbed(tiers: readonly TierView[], dangerOf: (tier: TierView) => readonly string[] = () => []) {
	const lines = tiers.map((tier) => {
		const line = `\`#${tier.id}\` **${tier.name}** — ${formatPoints(tier.threshold)} points → <@&${tier.roleId}>`;
		const danger = dangerOf(tier);
		const problem = tier.problem ? `\n⚠️ cannot be assigned: ${tier.problem}` : '';
		return `${line}${problem}${danger.length > 0 ? `\n🛡️ grants moderator permissions: ${danger.join(', ')}` : ''}`;
	});
	return new EmbedBuilder()
		.setTitle('Mileage tiers')
		.setDescription(lines.length > 0 ? lines.join('\n') : 'No tiers yet. Add one with `/mileage-admin tiers add`.');
}

/** An autocomplete choice for a tier. */
export function tierChoice(tier: TierView): { name: string; value: number } {
	return { name: `${tier.name} (${formatPoints(tier.threshold)} points)`.slice(0, 100), value: tier.id };
}

/** `1,000 / 5,000 (20%)`. */
export function progressText(done: number, total: number): string {
	const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
	return `${formatPoints(done)} / ${formatPoints(total)} (${percent}%)`;
}

/**
 * Wraps a progress callback so it runs at most once per `intervalMs` (the last call, done = total, always
 * runs): a reply is edited a handful of times, whatever the size of the work.
 */
export function throttleProgress(
	report: (done: number, total: number) => Promise<unknown>,
	intervalMs = 1_000,
	now: () => number = Date.now
): (done: number, total: number) => Promise<void> {
	let last = Number.NEGATIVE_INFINITY;
	return async (done, total) => {
		const at = now();
		if (done < total && at - last < intervalMs) return;
		last = at;
		await report(done, total);
	};
}

/**
 * The ephemeral answer of `/mileage privacy`: the member's choice (just made, or as it stands), and whether the
 * guild publishes its leaderboard at all (the choice is kept either way).
 */
export function privacyReply(hidden: boolean, changed: boolean, published: boolean): string {
	const state = hidden
		? `${changed ? 'Done: you are now' : 'You are'} hidden from this server's public leaderboard. Your points and rank are unchanged, and managers still see you.`
		: `${changed ? 'Done: you are now' : 'You are'} shown on this server's public leaderboard (rank, name and avatar).`;
	const where = published ? '' : ' The public leaderboard is off in this server right now; your choice applies if it is turned on.';
	return `${state}${where}`;
}
