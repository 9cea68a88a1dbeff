import { Events, Listener } from '@sapphire/framework';
import type { Guild } from 'discord.js';
import { CoreGuild } from '../core/entities/CoreGuild.ts';

/** Keeps a guild row when the bot joins a guild. */
export class CoreGuildCreate extends Listener<typeof Events.GuildCreate> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, event: Events.GuildCreate });
	}

	public run(guild: Guild) {
		this.container.log.info({ guildId: guild.id }, 'joined guild');
		return this.container.work.track(async () => {
			await this.container.orm.em.fork().upsert(CoreGuild, { id: guild.id, name: guild.name, leftAt: null, updatedAt: new Date() });
			await this.container.commandSync.syncGuild(guild.id);
		});
	}
}
