import { Events, Listener } from '@sapphire/framework';
import type { Guild, GuildMember, MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import { basePoints, Cooldowns } from '../lib/rules.ts';
import type { MileageSettings } from '../lib/settings.ts';

const cooldowns = new Cooldowns();

const fetchMember = (guild: Guild, userId: string): Promise<GuildMember | undefined> => guild.members.fetch(userId).catch(() => undefined);

/** Points per reaction given. */
export class MileageReactionListener extends Listener<typeof Events.MessageReactionAdd> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'mileageReaction', event: Events.MessageReactionAdd });
	}

	public async run(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser) {
		const guild = reaction.message.guild;
		if (!guild || user.bot) return;
		const settings = this.container.plugins.settings<MileageSettings>(guild.id, 'mileage');
		// Discord sends the reacting member with the event (discord.js caches it); a member missing anyway is fetched,
		// so the ignored-role check never runs on an empty role list.
		const member = guild.members.cache.get(user.id) ?? (settings.ignoredRoles.length > 0 ? await fetchMember(guild, user.id) : undefined);
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
