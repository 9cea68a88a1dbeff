import { Events, Listener } from '@sapphire/framework';
import type { Client } from 'discord.js';

/**
 * Stands in for Sapphire's own `CoreReady` (removed in createClient): instead of pushing every command globally, the
 * core's CommandSync sends core commands globally and plugin commands per guild, only where changed.
 */
export class FacetCoreReady extends Listener<typeof Events.ClientReady> {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'FacetCoreReady', event: Events.ClientReady, once: true });
	}

	public async run(client: Client<true>) {
		this.container.client.id ??= client.user.id;
		const started = Date.now();
		try {
			const sent = await this.container.commandSync.start(client);
			this.container.log.info(
				{ scopesSent: sent, guilds: client.guilds.cache.size, ms: Date.now() - started },
				'application commands in sync'
			);
		} catch (error) {
			this.container.log.error({ err: error }, 'application command sync failed');
		}
		client.emit(Events.ApplicationCommandRegistriesRegistered, new Map(), Date.now() - started);
	}
}
