import { Command, container, Piece } from '@sapphire/framework';

/**
 * Base class of Facet's slash commands. Write `registerApplicationCommands` as usual; registration itself
 * belongs to the core's CommandSync (global for core commands, per guild for plugin commands), so a hot
 * reload re-syncs through it instead of Sapphire's global re-registration.
 */
export abstract class FacetCommand extends Command {
	public override async reload(): Promise<void> {
		// Piece#reload swaps the module in; Command#reload would also push every command globally.
		await Piece.prototype.reload.call(this);
		await container.commandSync?.refresh();
	}
}
