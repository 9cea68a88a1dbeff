import { Events, Listener } from '@sapphire/framework';
import type { Guild } from 'discord.js';
import { CoreGuild } from '../core/entities/CoreGuild.ts';

/** Marks a guild as left (the row stays: plugin data keyed by it is kept until purged). */
export class CoreGuildDelete extends Listener<typeof Events.GuildDelete> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, event: Events.GuildDelete });
	}

	public run(guild: Guild) {
		// An outage makes guilds "unavailable" without the bot leaving them.
		if (!guild.available) return;
		this.container.log.info({ guildId: guild.id }, 'left guild');
		return this.container.work.track(async () => {
			await this.container.orm.em.fork().nativeUpdate(CoreGuild, { id: guild.id }, { leftAt: new Date(), updatedAt: new Date() });
			await this.container.commandSync.forget(guild.id);
		});
	}
}
