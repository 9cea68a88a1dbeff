import { ChannelType } from 'discord-api-types/v10';
import { EVERYONE_PERMISSIONS } from './seed.ts';
import type { GuildRecord, SandboxState } from './state.ts';

/** The shape of a bulk world: how many guilds, and text channels and human members in each. */
export interface BulkWorld {
	guilds: number;
	channelsPerGuild: number;
	membersPerGuild: number;
}

/**
 * Adds `guilds` guilds, each with its channels, the bot, and `membersPerGuild` members of its own (distinct users),
 * straight into the state, dispatching nothing: for worlds that exist before a bot connects (benchmarks of memory
 * and readiness at scale), where a control call per object would take longer than what is measured. Answers the
 * new guilds' ids.
 */
export function populateWorld(state: SandboxState, world: BulkWorld): string[] {
	const ids: string[] = [];
	const joinedAt = new Date().toISOString();
	for (let g = 0; g < world.guilds; g++) {
		const users: string[] = [];
		for (let m = 0; m < world.membersPerGuild; m++) {
			const id = state.ids.next();
			state.users.set(id, { id, username: `member${g}_${m}`, globalName: null, bot: false });
			users.push(id);
		}
		const guildId = state.ids.next();
		const guild: GuildRecord = state.addGuild(guildId, `Bulk guild ${g + 1}`, users[0] ?? state.botUserId);
		// @everyone with Discord's defaults for a new server, as `createGuild` gives it.
		const everyone = guild.roles.get(guildId);
		if (everyone) everyone.permissions = EVERYONE_PERMISSIONS;
		for (const userId of [state.botUserId, ...users]) guild.members.set(userId, { userId, roles: [], nick: null, joinedAt });
		for (let c = 0; c < world.channelsPerGuild; c++) {
			state.addChannel({
				id: state.ids.next(),
				guildId,
				name: `channel-${c + 1}`,
				type: ChannelType.GuildText,
				position: c,
				topic: null,
				lastMessageId: null,
				overwrites: []
			});
		}
		ids.push(guildId);
	}
	return ids;
}
