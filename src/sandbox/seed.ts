import { ChannelType, PermissionFlagsBits } from 'discord-api-types/v10';
import { snowflakeAt } from './snowflake.ts';

/** Timestamp every seeded snowflake is derived from, so ids are identical on every start. */
const SEED_EPOCH_MS = Date.UTC(2024, 5, 1);

const seedId = (offsetMs: number): string => snowflakeAt(SEED_EPOCH_MS + offsetMs);

/** Application id of the sandbox bot; like modern Discord apps, the bot user shares it. */
export const SANDBOX_APPLICATION_ID = seedId(0);

/**
 * Bot token the emulator accepts by default. Shaped like a real one
 * (`base64(application id).timestamp.hmac`) so token parsers in the bot accept it.
 */
export const SANDBOX_BOT_TOKEN = `${Buffer.from(SANDBOX_APPLICATION_ID).toString('base64url')}.ZmFjZX.c2FuZGJveC1ib3QtdG9rZW4tbm90LXJlYWw`;

/** OAuth2 client secret the emulator accepts by default. */
export const SANDBOX_CLIENT_SECRET = 'sandbox-client-secret-not-for-production';

/** Ids of the seeded demo guild, its channels, roles and members. */
export interface SandboxSeed {
	guildId: string;
	channels: { general: string; welcome: string; daily: string; feeds: string; lounge: string };
	roles: { admin: string; member: string; everyone: string; bot: string };
	users: { ada: string; grace: string; linus: string; margaret: string; alan: string };
}

const GUILD_ID = seedId(100);

/** The seed's ids; the `@everyone` role shares the guild id, as on Discord. */
export const SANDBOX_SEED: SandboxSeed = Object.freeze({
	guildId: GUILD_ID,
	channels: Object.freeze({ general: seedId(110), welcome: seedId(111), daily: seedId(112), feeds: seedId(113), lounge: seedId(114) }),
	roles: Object.freeze({ everyone: GUILD_ID, admin: seedId(101), member: seedId(102), bot: seedId(103) }),
	users: Object.freeze({ ada: seedId(10), grace: seedId(11), linus: seedId(12), margaret: seedId(13), alan: seedId(14) })
});

/** Permissions every member gets through `@everyone`: what a fresh community server grants. */
export const EVERYONE_PERMISSIONS =
	PermissionFlagsBits.ViewChannel |
	PermissionFlagsBits.SendMessages |
	PermissionFlagsBits.ReadMessageHistory |
	PermissionFlagsBits.AddReactions |
	PermissionFlagsBits.EmbedLinks |
	PermissionFlagsBits.AttachFiles |
	PermissionFlagsBits.UseExternalEmojis |
	PermissionFlagsBits.UseApplicationCommands |
	PermissionFlagsBits.Connect |
	PermissionFlagsBits.Speak |
	PermissionFlagsBits.Stream |
	PermissionFlagsBits.UseVAD |
	PermissionFlagsBits.CreateInstantInvite |
	PermissionFlagsBits.ChangeNickname;

/** Permissions of the bot's managed role: enough to post, moderate messages and hand out roles below it. */
export const BOT_ROLE_PERMISSIONS =
	PermissionFlagsBits.ManageRoles |
	PermissionFlagsBits.ManageMessages |
	PermissionFlagsBits.ViewChannel |
	PermissionFlagsBits.SendMessages |
	PermissionFlagsBits.EmbedLinks |
	PermissionFlagsBits.AttachFiles |
	PermissionFlagsBits.ReadMessageHistory |
	PermissionFlagsBits.AddReactions;

/** Plain description of the seed the state is built from (and rebuilt from on reset). */
export interface SeedData {
	users: Array<{ id: string; username: string; globalName: string | null; bot: boolean }>;
	guild: {
		id: string;
		name: string;
		ownerId: string;
		createdAtMs: number;
		roles: Array<{ id: string; name: string; permissions: bigint; position: number; color: number; managed: boolean; botId?: string }>;
		channels: Array<{
			id: string;
			name: string;
			type: ChannelType.GuildText | ChannelType.GuildVoice;
			position: number;
			topic: string | null;
			/** Permission overwrites (`type` 0 role, 1 member). */
			overwrites?: Array<{ id: string; type: 0 | 1; allow: bigint; deny: bigint }>;
		}>;
		members: Array<{ userId: string; roles: string[] }>;
	};
}

/** Builds the demo data: guild "Facet Sandbox", its channels, roles and five people plus the bot. */
export function buildSeed(botUsername = 'Facet'): SeedData {
	const s = SANDBOX_SEED;
	return {
		users: [
			{ id: SANDBOX_APPLICATION_ID, username: botUsername, globalName: null, bot: true },
			{ id: s.users.ada, username: 'ada', globalName: 'Ada', bot: false },
			{ id: s.users.grace, username: 'grace', globalName: 'Grace', bot: false },
			{ id: s.users.linus, username: 'linus', globalName: 'Linus', bot: false },
			{ id: s.users.margaret, username: 'margaret', globalName: 'Margaret', bot: false },
			{ id: s.users.alan, username: 'alan', globalName: 'Alan', bot: false }
		],
		guild: {
			id: s.guildId,
			name: 'Facet Sandbox',
			ownerId: s.users.ada,
			createdAtMs: SEED_EPOCH_MS + 100,
			roles: [
				{ id: s.roles.everyone, name: '@everyone', permissions: EVERYONE_PERMISSIONS, position: 0, color: 0, managed: false },
				{ id: s.roles.member, name: 'Member', permissions: 0n, position: 1, color: 0x3498db, managed: false },
				{ id: s.roles.admin, name: 'Admin', permissions: PermissionFlagsBits.ManageGuild, position: 2, color: 0xe67e22, managed: false },
				{
					id: s.roles.bot,
					name: botUsername,
					permissions: BOT_ROLE_PERMISSIONS,
					position: 3,
					color: 0,
					managed: true,
					botId: SANDBOX_APPLICATION_ID
				}
			],
			channels: [
				{ id: s.channels.general, name: 'general', type: ChannelType.GuildText, position: 0, topic: 'General chat' },
				{
					id: s.channels.welcome,
					name: 'welcome',
					type: ChannelType.GuildText,
					position: 1,
					topic: 'Say hi to newcomers',
					// Read-only for people (the @everyone deny), while the bot's role may post its welcome messages there:
					// the role overwrite's allow wins over the @everyone deny, as Discord applies them.
					overwrites: [
						{ id: s.roles.everyone, type: 0, allow: 0n, deny: PermissionFlagsBits.SendMessages },
						{ id: s.roles.bot, type: 0, allow: PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks, deny: 0n }
					]
				},
				{ id: s.channels.daily, name: 'daily', type: ChannelType.GuildText, position: 2, topic: 'Daily digests' },
				{ id: s.channels.feeds, name: 'feeds', type: ChannelType.GuildText, position: 3, topic: 'Feed posts' },
				{ id: s.channels.lounge, name: 'Lounge', type: ChannelType.GuildVoice, position: 4, topic: null }
			],
			members: [
				{ userId: s.users.ada, roles: [] },
				{ userId: s.users.grace, roles: [s.roles.admin] },
				{ userId: s.users.linus, roles: [] },
				{ userId: s.users.margaret, roles: [] },
				{ userId: s.users.alan, roles: [s.roles.member] },
				{ userId: SANDBOX_APPLICATION_ID, roles: [s.roles.bot] }
			]
		}
	};
}
