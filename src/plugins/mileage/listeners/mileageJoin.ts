import { Events, Listener } from '@sapphire/framework';
import type { GuildMember } from 'discord.js';
import { basePoints } from '../lib/rules.ts';
import type { MileageSettings } from '../lib/settings.ts';

/** Points for joining the server. */
export class MileageJoinListener extends Listener<typeof Events.GuildMemberAdd> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'mileageJoin', event: Events.GuildMemberAdd });
	}

	public run(member: GuildMember) {
		const settings = this.container.plugins.settings<MileageSettings>(member.guild.id, 'mileage');
		const points = basePoints(
			{ kind: 'join', guildId: member.guild.id, userId: member.id, channelId: null, bot: member.user.bot, roleIds: [], now: Date.now() },
			settings
		);
		if (points > 0) this.container.mileage.award(member.guild.id, member.id, 'join', points);
	}
}
