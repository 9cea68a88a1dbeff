import type { Command } from '@sapphire/framework';
import { MessageFlags } from 'discord.js';
import { FacetCommand } from '../core/commands.ts';
import { isDatabaseUnavailable } from '../core/database/errors.ts';
import { databaseRoundTrip } from '../core/database/timeouts.ts';

/** `/ping`: the gateway heartbeat round trip and a database round trip, measured now (or the database reported down). */
export class PingCommand extends FacetCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, { ...options, name: 'ping', description: 'Show the gateway and database round-trip times' });
	}

	public override registerApplicationCommands(registry: Command.Registry) {
		registry.registerChatInputCommand((builder) => builder.setName(this.name).setDescription(this.description));
	}

	public override async chatInputRun(interaction: Command.ChatInputCommandInteraction) {
		const startedDb = performance.now();
		// The pool's statement and acquire timeouts bound this: an unreachable database is reported, not waited for.
		const database = await databaseRoundTrip(this.container.orm).then(
			() => `${(performance.now() - startedDb).toFixed(1)} ms`,
			(error: unknown) => {
				if (!isDatabaseUnavailable(error, true)) throw error;
				return `unreachable (no answer within ${Math.round(performance.now() - startedDb)} ms)`;
			}
		);
		const gatewayMs = this.container.client.ws.ping;
		const gateway = gatewayMs >= 0 ? `${Math.round(gatewayMs)} ms` : 'not measured yet (first heartbeat pending)';
		return interaction.reply({
			content: `Pong! Gateway: ${gateway} · Database: ${database}`,
			flags: MessageFlags.Ephemeral
		});
	}
}
