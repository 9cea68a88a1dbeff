import { type ChatInputCommand, Precondition } from '@sapphire/framework';
import type { ChatInputCommandInteraction } from 'discord.js';
import { FacetIdentifiers } from '../core/errors.ts';
import { commandOptionProblems } from '../core/input.ts';

/**
 * Global precondition: every command's text and number options pass the same checks as API bodies (NUL and control
 * characters, length, integers within ±(2^53 − 1)) before any command code runs, so nothing unstorable reaches a
 * service and the refusal names the option.
 */
export class CoreInputPrecondition extends Precondition {
	public constructor(context: Precondition.LoaderContext, options: Precondition.Options) {
		super(context, { ...options, position: 1 });
	}

	public override chatInputRun(interaction: ChatInputCommandInteraction, _command: ChatInputCommand) {
		const fields = commandOptionProblems(interaction.options.data);
		if (!fields) return this.ok();
		const lines = Object.entries(fields).map(([name, messages]) => `**${name}** ${messages.join(', ')}`);
		return this.error({
			identifier: FacetIdentifiers.InvalidInput,
			message: `That input cannot be used: ${lines.join('; ')}. Nothing was changed.`,
			context: { fields }
		});
	}
}
