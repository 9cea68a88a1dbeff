import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A guild's ranked point values, best first, with how many members hold each: what ranks and page positions are
 * read from, so no leaderboard request counts rows. Competition ranking: a member's rank is 1 + the number of
 * ranked members with more points (equal points share a rank); members at 0 are not ranked.
 */
export class RankTable {
	/** Distinct non-zero point values, descending. */
	readonly values: readonly number[];
	/** `above[i]`: members whose points are greater than `values[i]`. */
	readonly above: readonly number[];
	readonly counts: readonly number[];
	/** Ranked members (non-zero points). */
	readonly members: number;

	/** From groups best first, or from the two columns (values descending, counts above 0) taken as they are. */
	public constructor(groups: readonly { points: number; members: number }[] | { values: number[]; counts: number[] }) {
		let values: number[] = [];
		let counts: number[] = [];
		if (Array.isArray(groups)) {
			for (const group of groups) {
				values.push(group.points);
				counts.push(group.members);
			}
		} else ({ values, counts } = groups as { values: number[]; counts: number[] });
		this.values = values;
		this.counts = counts;
		const above: number[] = new Array(values.length);
		let seen = 0;
		for (let i = 0; i < values.length; i++) {
			above[i] = seen;
			seen += counts[i]!;
		}
		this.above = above;
		this.members = seen;
	}

	/**
	 * The table after some totals moved (`before` → `after`), without reading the database: what a flush in this
	 * process changed is applied at once. Totals of 0 are unranked and not counted. One merge of the sorted values
	 * with the sorted changed ones: linear in the table, so a flush never sorts a large guild's table again.
	 */
	public withChanges(changes: readonly { before: number; after: number }[]): RankTable {
		const delta = new Map<number, number>();
		for (const { before, after } of changes) {
			if (before === after) continue;
			if (before !== 0) delta.set(before, (delta.get(before) ?? 0) - 1);
			if (after !== 0) delta.set(after, (delta.get(after) ?? 0) + 1);
		}
		const changed = [...delta.keys()].sort((a, b) => b - a);
		const { values, counts } = this;
		const nextValues: number[] = [];
		const nextCounts: number[] = [];
		let i = 0;
		let j = 0;
		while (i < values.length || j < changed.length) {
			const value = i < values.length ? values[i]! : Number.NEGATIVE_INFINITY;
			const change = j < changed.length ? changed[j]! : Number.NEGATIVE_INFINITY;
			let points: number;
			let members: number;
			if (value > change) {
				points = value;
				members = counts[i++]!;
			} else if (change > value) {
				points = change;
				members = delta.get(change)!;
				j++;
			} else {
				points = value;
				members = counts[i++]! + delta.get(change)!;
				j++;
			}
			if (members > 0) {
				nextValues.push(points);
				nextCounts.push(members);
			}
		}
		return new RankTable({ values: nextValues, counts: nextCounts });
	}

	/** Index of the first value ≤ `points` (values are descending), or `values.length`. */
	#firstAtMost(points: number): number {
		let low = 0;
		let high = this.values.length;
		while (low < high) {
			const middle = (low + high) >> 1;
			if (this.values[middle]! > points) low = middle + 1;
			else high = middle;
		}
		return low;
	}

	/** Members with strictly more points than `points`. */
	public countAbove(points: number): number {
		const index = this.#firstAtMost(points);
		return index < this.values.length ? this.above[index]! : this.members;
	}

	/** The rank of a member with these points, or null for 0 (unranked). */
	public rankOf(points: number): number | null {
		return points === 0 ? null : this.countAbove(points) + 1;
	}

	/**
	 * Where the member at 1-based `position` of the leaderboard stands: its point value and how many members with
	 * that value come before it (they are ordered by user id). Null past the end.
	 */
	public locate(position: number): { points: number; offset: number } | null {
		if (position < 1 || position > this.members) return null;
		let low = 0;
		let high = this.values.length - 1;
		// The last value whose `above` is below the position.
		while (low < high) {
			const middle = (low + high + 1) >> 1;
			if (this.above[middle]! < position) low = middle;
			else high = middle - 1;
		}
		return { points: this.values[low]!, offset: position - 1 - this.above[low]! };
	}

	/**
	 * The 1-based position of the first member ranked `rank` or worse (ties skip ranks: asking for a skipped rank
	 * lands on the next one held), or null when no member is ranked that low.
	 */
	public positionOfRank(rank: number): number | null {
		let low = 0;
		let high = this.values.length;
		while (low < high) {
			const middle = (low + high) >> 1;
			if (this.above[middle]! + 1 < rank) low = middle + 1;
			else high = middle;
		}
		return low < this.values.length ? this.above[low]! + 1 : null;
	}
}

/** Reads a guild's {@link RankTable}: one grouped scan of its totals (index only). */
export async function loadRankTable(em: EntityManager, guildId: string): Promise<RankTable> {
	const rows = await em.execute<{ points: string; members: string }[]>(
		'select points, count(*) as members from mileage_total where guild_id = ? and points <> 0 group by points order by points desc',
		[guildId]
	);
	return new RankTable(rows.map((row) => ({ points: Number(row.points), members: Number(row.members) })));
}

/**
 * A per-guild counter of totals changes shared by every process of a deployment (Redis), so a process rebuilds a
 * guild's table only when another process changed its totals.
 */
export interface RankVersions {
	/** Counts one change of the guild's totals by this process; answers the new count. */
	bump(guildId: string): Promise<number>;
	/** The guild's count of changes, by any process. */
	read(guildId: string): Promise<number>;
}

/** Options of {@link RankCache}. */
export interface RankCacheOptions {
	/**
	 * How long a table is served before it is rebuilt (in the background, the old one served meanwhile). With
	 * `versions` this is only a safety net. @default 5000 without versions, 60000 with
	 */
	ttlMs: number;
	/** With `versions`: how often a guild's counter is read (in the background). @default 1000 */
	checkMs: number;
	/** Guilds whose tables are kept (least recently used dropped first). @default 500 */
	maxGuilds: number;
	/** Shared change counters; without them tables are rebuilt every `ttlMs`. */
	versions?: RankVersions;
}

/** Defaults of {@link RankCache}. */
export const DefaultRankCacheOptions = { ttlMs: 5_000, versionedTtlMs: 60_000, checkMs: 1_000, maxGuilds: 500 };

interface Entry {
	table: RankTable | null;
	loadedAt: number;
	loading: Promise<RankTable> | null;
	/** Totals changed while a load was under way, or by another process: rebuild (in the background). */
	dirty: boolean;
	/** The shared change count the table reflects (null: unknown). */
	version: number | null;
	checkedAt: number;
	checking: boolean;
	/** This process's change counts still on their way to Redis: a count read meanwhile may already hold them. */
	bumping: number;
}

/**
 * Rank tables per guild. A guild's first request loads its table; after that no request waits for the database:
 * totals changed by this process are applied to the cached table at once ({@link RankCache.apply}); a table that
 * another process's writes made stale (seen through the shared `versions` counter, or after `ttlMs` without one)
 * is rebuilt in the background while the old one is served.
 */
export class RankCache {
	readonly #load: (guildId: string) => Promise<RankTable>;
	readonly #options: RankCacheOptions;
	readonly #entries = new Map<string, Entry>();

	public constructor(load: (guildId: string) => Promise<RankTable>, options: Partial<RankCacheOptions> = {}) {
		this.#load = load;
		const ttlMs = options.ttlMs ?? (options.versions ? DefaultRankCacheOptions.versionedTtlMs : DefaultRankCacheOptions.ttlMs);
		this.#options = {
			checkMs: DefaultRankCacheOptions.checkMs,
			maxGuilds: DefaultRankCacheOptions.maxGuilds,
			...options,
			ttlMs
		};
	}

	/** The guild's table: the cached one (rebuilt in the background when old), or a first load. */
	public async get(guildId: string, now = Date.now()): Promise<RankTable> {
		let entry = this.#entries.get(guildId);
		if (entry) {
			this.#entries.delete(guildId);
			this.#entries.set(guildId, entry);
		} else {
			entry = { table: null, loadedAt: 0, loading: null, dirty: false, version: null, checkedAt: now, checking: false, bumping: 0 };
			this.#entries.set(guildId, entry);
			while (this.#entries.size > this.#options.maxGuilds) this.#entries.delete(this.#entries.keys().next().value!);
		}
		if ((!entry.table || entry.dirty || now - entry.loadedAt >= this.#options.ttlMs) && !entry.loading) this.#refresh(guildId, entry, now);
		else if (entry.table && now - entry.checkedAt >= this.#options.checkMs) this.#check(guildId, entry, now);
		return entry.table ?? entry.loading!;
	}

	/** Reads the guild's shared change count in the background; a count this table does not reflect marks it dirty. */
	#check(guildId: string, entry: Entry, now: number): void {
		const versions = this.#options.versions;
		if (!versions || entry.checking) return;
		entry.checkedAt = now;
		entry.checking = true;
		const bumping = entry.bumping;
		versions
			.read(guildId)
			.then((version) => {
				// Read while this process's own count was in flight: not a sign of another writer; look again later.
				if (bumping > 0 || entry.bumping > 0) entry.checkedAt = 0;
				else if (entry.version !== version) entry.dirty = true;
			})
			.catch(() => undefined)
			.finally(() => {
				entry.checking = false;
			});
	}

	/** Applies totals this process changed to the cached tables of their guilds. */
	public apply(changes: readonly { guildId: string; before: number; after: number }[]): void {
		const byGuild = new Map<string, { before: number; after: number }[]>();
		for (const change of changes) {
			const list = byGuild.get(change.guildId);
			if (list) list.push(change);
			else byGuild.set(change.guildId, [change]);
		}
		for (const [guildId, guildChanges] of byGuild) {
			const entry = this.#entries.get(guildId);
			if (entry?.table) entry.table = entry.table.withChanges(guildChanges);
			if (entry?.loading) entry.dirty = true;
			// Tell the other processes; when the count moved by exactly this change, the table still reflects it.
			const versions = this.#options.versions;
			if (!versions) continue;
			if (entry) entry.bumping++;
			versions
				.bump(guildId)
				.then((version) => {
					if (!entry) return;
					if (entry.version !== null && version === entry.version + 1) entry.version = version;
					else entry.dirty = true;
				})
				.catch(() => undefined)
				.finally(() => {
					if (entry) entry.bumping--;
				});
		}
	}

	#refresh(guildId: string, entry: Entry, started: number): void {
		entry.dirty = false;
		entry.checkedAt = started;
		const versions = this.#options.versions;
		// The count is read before the load, so a change made while it runs shows as a newer count later.
		const before = versions ? versions.read(guildId).catch(() => null) : Promise.resolve(null);
		const loading = before.then(async (version) => {
			const table = await this.#load(guildId);
			entry.version = version;
			return table;
		});
		const settled = loading.then(
			(table) => {
				entry.table = table;
				entry.loadedAt = started;
				entry.loading = null;
				return table;
			},
			(error: unknown) => {
				entry.loading = null;
				entry.dirty = true;
				throw error;
			}
		);
		entry.loading = settled;
		// A background rebuild that fails keeps the old table; the next request tries again.
		if (entry.table) settled.catch(() => undefined);
	}
}
