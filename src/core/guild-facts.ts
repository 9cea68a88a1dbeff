import type { PluginManifest } from './plugins/manifest.ts';

/**
 * Guild-wide facts several plugins read — when "today" starts, which language to answer in, where daily posts
 * go. The core serves them; a plugin provides them through its manifest's `guildFacts` hook (the config plugin
 * owns how they are edited). No plugin reads another plugin's settings.
 */
export interface GuildFacts {
	/** IANA time zone of the guild's calendar. */
	timeZone: string;
	/** Discord locale the guild prefers. */
	locale: string;
	/** Default channel for daily posts, or null when none is set. */
	dailyChannelId: string | null;
}

/** What a guild's facts are while no plugin says otherwise. */
export const DefaultGuildFacts: Readonly<GuildFacts> = Object.freeze({ timeZone: 'UTC', locale: 'en-US', dailyChannelId: null });

/** Reads guild facts from the plugins that provide them, from memory (no query). */
export class GuildFactsService {
	readonly #providers: readonly NonNullable<PluginManifest['guildFacts']>[];

	public constructor(manifests: readonly PluginManifest[]) {
		this.#providers = manifests.flatMap((manifest) => (manifest.guildFacts ? [manifest.guildFacts.bind(manifest)] : []));
	}

	/** The guild's facts: each field from the first plugin (in load order) that provides it, else the default. */
	public of(guildId: string): GuildFacts {
		const facts: Partial<GuildFacts> = {};
		for (const provide of this.#providers) {
			const given = provide(guildId);
			for (const key of Object.keys(DefaultGuildFacts) as (keyof GuildFacts)[]) {
				if (facts[key] === undefined && given[key] !== undefined) (facts as Record<string, unknown>)[key] = given[key];
			}
		}
		return { ...DefaultGuildFacts, ...facts };
	}
}
