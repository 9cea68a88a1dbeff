import { Events, Listener } from '@sapphire/framework';
import type { Client } from 'discord.js';
import { recordGuilds } from '../core/guild-directory.ts';

/** On ready, records every guild the bot is in (one statement for all of them). */
export class CoreReadyGuildSync extends Listener<typeof Events.ClientReady> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, event: Events.ClientReady, once: true });
	}

	public run(client: Client<true>) {
		const guilds = [...client.guilds.cache.values()];
		this.container.log.info({ guilds: guilds.length, user: client.user.tag }, 'gateway ready');
		if (guilds.length === 0) return;
		return this.container.work.track(async () => {
			// After the global command scope: readiness waits for that, not for these rows (one big statement to build).
			await this.container.commandSync.globalSettled;
			await recordGuilds(this.container.orm, guilds);
		});
	}
}
