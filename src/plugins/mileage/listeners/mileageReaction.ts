import { Events, Listener } from '@sapphire/framework';
import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import { basePoints, Cooldowns } from '../lib/rules.ts';
import type { MileageSettings } from '../lib/settings.ts';

const cooldowns = new Cooldowns();

/** Points per reaction given. */
export class MileageReactionListener extends Listener<typeof Events.MessageReactionAdd> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'mileageReaction', event: Events.MessageReactionAdd });
	}

	public run(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser) {
		const guild = reaction.message.guild;
		if (!guild || user.bot) return;
		const settings = this.container.plugins.settings<MileageSettings>(guild.id, 'mileage');
		const member = guild.members.cache.get(user.id);
		const points = basePoints(
			{
				kind: 'reaction',
				guildId: guild.id,
				userId: user.id,
				channelId: reaction.message.channelId,
				bot: Boolean(user.bot),
				roleIds: member?.roles.cache.map((role) => role.id) ?? [],
				now: Date.now()
			},
			settings
		);
		if (points === 0 || !cooldowns.take(`${guild.id}:${user.id}:reaction`, Date.now(), settings.cooldownSeconds * 1_000)) return;
		this.container.mileage.award(guild.id, user.id, 'reaction', points);
	}
}
