import { container, type Piece } from '@sapphire/framework';

/** The plugin owning a piece, or null for the core. */
export function pluginOf(piece: Pick<Piece, 'location'>): string | null {
	return container.pluginOwnership.of(piece);
}

/**
 * The one guard for listeners and scheduled tasks: true when the piece may act for the guild — core pieces
 * always, plugin pieces only where their plugin is on. Reads memory only.
 */
export function pieceActiveIn(piece: Pick<Piece, 'location'>, guildId: string | null | undefined): boolean {
	const plugin = pluginOf(piece);
	if (plugin === null) return true;
	if (!guildId) return false;
	return container.plugins.isEnabled(guildId, plugin);
}

/** Body of the 409 a plugin route answers in a guild where its plugin is off. */
export function pluginDisabledBody(plugin: string) {
	return { error: 'plugin_disabled', plugin, message: `The ${plugin} plugin is disabled in this server.` };
}
