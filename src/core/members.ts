import { Collection, type Guild, type GuildMember } from 'discord.js';
import { SlidingWindowPacer } from './pacing.ts';

/*
 * Members of guilds too large to cache whole. Discord sends a bot only itself (and members in voice) in
 * GUILD_CREATE, so a member that has not spoken, reacted or joined since the start is not in
 * `guild.members.cache`. Code that needs specific members asks for them by id here: over the gateway
 * (REQUEST_GUILD_MEMBERS by `user_ids`, 100 per request, one send each), paced under Discord's gateway limit.
 */

/** `user_ids` per REQUEST_GUILD_MEMBERS (Discord's maximum). */
export const MEMBER_IDS_PER_REQUEST = 100;
/**
 * Member requests allowed per shard per minute: half of Discord's 120 gateway sends per 60 s, so heartbeats,
 * voice and presence updates always have room.
 */
export const MEMBER_REQUESTS_PER_MINUTE = 60;

/**
 * Past this many requests by id, one request for the entire member list (a single gateway send; Discord answers
 * in chunks of 1,000) is cheaper than waiting out the pacing: 10 requests cover 1,000 ids. It needs the
 * GUILD_MEMBERS intent, which Facet identifies with.
 */
export const MAX_REQUESTS_BY_ID = 10;

/** Guilds up to this size are fetched whole when a scan needs everyone: one request, one chunk of Discord's answer. */
export const SMALL_GUILD_MEMBERS = 1_000;

/** One pacer per client and shard. */
const pacers = new WeakMap<object, Map<number, SlidingWindowPacer>>();

function pacerOf(guild: Guild): SlidingWindowPacer {
	let shards = pacers.get(guild.client);
	if (!shards) {
		shards = new Map();
		pacers.set(guild.client, shards);
	}
	let pacer = shards.get(guild.shardId);
	if (!pacer) {
		pacer = new SlidingWindowPacer(MEMBER_REQUESTS_PER_MINUTE, 60_000);
		shards.set(guild.shardId, pacer);
	}
	return pacer;
}

/**
 * The guild's members among `userIds` (cached ones as they are, the others fetched 100 at a time over the
 * gateway, one request after another, or with one request for the whole list past {@link MAX_REQUESTS_BY_ID});
 * ids that are not members are simply absent from the result.
 */
export async function membersByIds(guild: Guild, userIds: Iterable<string>, timeoutMs = 30_000): Promise<Collection<string, GuildMember>> {
	const found = new Collection<string, GuildMember>();
	const missing: string[] = [];
	for (const id of new Set(userIds)) {
		const cached = guild.members.cache.get(id);
		if (cached && !cached.partial) found.set(id, cached);
		else missing.push(id);
	}
	if (missing.length > MAX_REQUESTS_BY_ID * MEMBER_IDS_PER_REQUEST) {
		await pacerOf(guild).take();
		const everyone = await guild.members.fetch({ time: Math.max(timeoutMs, 120_000) });
		for (const id of missing) {
			const member = everyone.get(id);
			if (member) found.set(id, member);
		}
		return found;
	}
	for (let i = 0; i < missing.length; i += MEMBER_IDS_PER_REQUEST) {
		await pacerOf(guild).take();
		const fetched = await guild.members.fetch({ user: missing.slice(i, i + MEMBER_IDS_PER_REQUEST), time: timeoutMs });
		for (const [id, member] of fetched) found.set(id, member);
	}
	return found;
}

/**
 * For a scan over all members (who holds a role?): fetches a small guild's whole member list (one gateway request,
 * one chunk) and returns true; a larger guild is left as cached (false), since Discord has no "members with this
 * role" query and fetching 100,000 members for it would cost far more than the scan is worth.
 */
export async function fetchAllIfSmall(guild: Guild, maxMembers = SMALL_GUILD_MEMBERS, timeoutMs = 30_000): Promise<boolean> {
	if (guild.memberCount > maxMembers) return false;
	if (guild.members.cache.size >= guild.memberCount) return true;
	await pacerOf(guild).take();
	await guild.members.fetch({ time: timeoutMs });
	return true;
}
