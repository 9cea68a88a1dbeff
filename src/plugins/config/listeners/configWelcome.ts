import { createHash } from 'node:crypto';
import { Events, Listener } from '@sapphire/framework';
import type { GuildMember } from 'discord.js';
import { type ConfigSettings, renderWelcome } from '../lib/settings.ts';

/**
 * The nonce of one join's welcome: the same for a replay of that GUILD_MEMBER_ADD (a restarted process resuming its
 * session gets it again), different for a later rejoin. With `enforce_nonce` Discord then posts it once.
 */
export function welcomeNonce(guildId: string, userId: string, joinedAt: number | null): string {
	return createHash('sha256')
		.update(`welcome:${guildId}:${userId}:${joinedAt ?? ''}`)
		.digest('base64url')
		.slice(0, 25);
}

/** Posts the welcome message when a member joins, if a welcome channel is set; once per join, even when replayed. */
export class ConfigWelcomeListener extends Listener<typeof Events.GuildMemberAdd> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'configWelcome', event: Events.GuildMemberAdd });
	}

	public run(member: GuildMember) {
		if (member.user.bot) return;
		const settings = this.container.plugins.settings<ConfigSettings>(member.guild.id, 'config');
		if (!settings.welcomeChannel) return;
		const channel = member.guild.channels.cache.get(settings.welcomeChannel);
		if (!channel?.isTextBased()) return;
		const content = renderWelcome(settings.welcomeMessage, { user: `<@${member.id}>`, server: member.guild.name });
		return this.container.work.track(
			channel
				.send({
					content,
					allowedMentions: { users: [member.id] },
					nonce: welcomeNonce(member.guild.id, member.id, member.joinedTimestamp),
					enforceNonce: true
				})
				.catch((error: unknown) => {
					this.container.log.warn({ err: error, guildId: member.guild.id, piece: this.name }, 'could not post the welcome message');
				})
		);
	}
}
