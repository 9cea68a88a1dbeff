import { Command, container, Piece } from '@sapphire/framework';
import { PermissionFlagsBits, type SlashCommandBuilder } from 'discord.js';

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

/**
 * A command for server managers: hidden from members by `default_member_permissions` (Manage Server) and
 * checked again on every run by Sapphire's user-permissions precondition, since a client's view can be stale.
 * Build the slash command from {@link ManagerCommand.managerBuilder}.
 */
export abstract class ManagerCommand extends FacetCommand {
	public constructor(context: Command.LoaderContext, options: Command.Options) {
		super(context, { ...options, requiredUserPermissions: [PermissionFlagsBits.ManageGuild], runIn: ['GUILD_ANY'] });
	}

	/** The builder with this command's name, description and manager-only defaults set. */
	protected managerBuilder(builder: SlashCommandBuilder): SlashCommandBuilder {
		return builder
			.setName(this.name)
			.setDescription(this.description)
			.setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
			.setDMPermission(false);
	}
}
