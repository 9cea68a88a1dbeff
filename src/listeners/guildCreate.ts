import { Events, Listener } from '@sapphire/framework';
import type { Guild } from 'discord.js';
import { recordGuilds } from '../core/guild-directory.ts';

/** Keeps a guild row and sends the guild its commands when the bot joins a guild. */
export class CoreGuildCreate extends Listener<typeof Events.GuildCreate> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, event: Events.GuildCreate });
	}

	public run(guild: Guild) {
		this.container.log.info({ guildId: guild.id }, 'joined guild');
		// Independent: a failed row write must not leave the guild without its commands (nor the reverse).
		const row = recordGuilds(this.container.orm, [guild]).catch((error: unknown) =>
			this.container.log.error({ err: error, guildId: guild.id }, 'could not record the joined guild')
		);
		// syncGuild never rejects: a failure is logged with the guild and Discord's code, and retried.
		return this.container.work.track(Promise.all([row, this.container.commandSync.syncGuild(guild.id)]));
	}
}
