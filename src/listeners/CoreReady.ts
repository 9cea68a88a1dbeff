import { Events, Listener } from '@sapphire/framework';
import type { Client } from 'discord.js';

/**
 * Stands in for Sapphire's own `CoreReady` (removed in createClient): instead of pushing every command globally, the
 * core's CommandSync sends core commands globally and plugin commands per guild, only where not already right.
 * The guild sweep runs in the background (readiness does not wait for Discord's rate limits); Sapphire's
 * `ApplicationCommandRegistriesRegistered` is emitted once it has visited every guild.
 */
export class FacetCoreReady extends Listener<typeof Events.ClientReady> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'FacetCoreReady', event: Events.ClientReady, once: true });
	}

	public async run(client: Client<true>) {
		this.container.client.id ??= client.user.id;
		const started = Date.now();
		try {
			const { swept } = await this.container.commandSync.start(client);
			void swept.then(() => client.emit(Events.ApplicationCommandRegistriesRegistered, new Map(), Date.now() - started));
		} catch (error) {
			this.container.log.error({ err: error }, 'application command sync could not start');
		}
	}
}
