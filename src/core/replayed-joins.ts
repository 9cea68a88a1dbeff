import { type Client, Events, GatewayDispatchEvents, type GatewayGuildMemberAddDispatchData, Status } from 'discord.js';

/**
 * discord.js caches a GUILD_MEMBER_ADD that arrives while its shard is resuming but emits `guildMemberAdd` only for a
 * shard that is READY. Discord replays the events a session missed before it sends RESUMED, so every join that
 * happened during a disconnect would reach the cache and no listener (no join points, no welcome message). This
 * emits those joins once discord.js has cached the member, so a resumed session loses none.
 */
export function emitReplayedJoins(client: Client): void {
	// The manager emits the raw dispatch before discord.js handles it: note the shard's status now, emit after.
	client.ws.on(GatewayDispatchEvents.GuildMemberAdd, (data: GatewayGuildMemberAddDispatchData, shardId: number) => {
		if (client.ws.shards.get(shardId)?.status !== Status.Resuming) return;
		queueMicrotask(() => {
			const member = client.guilds.cache.get(data.guild_id)?.members.cache.get(data.user.id);
			if (member) client.emit(Events.GuildMemberAdd, member);
		});
	});
}
