import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { ChannelRecord, CommandOverride, GuildRecord, OverwriteRecord } from './state.ts';

/** Every permission bit Discord defines, granted to owners and administrators. */
export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((acc, bit) => acc | bit, 0n);

/** Overwrite `type` as Discord writes it: 0 a role (or `@everyone`, whose id is the guild's), 1 a member. */
export const OverwriteType = { Role: 0, Member: 1 } as const;

/** What a member loses in a channel where they cannot send messages (Discord's "implicit permissions"). */
const NEEDS_SEND_MESSAGES =
	PermissionFlagsBits.MentionEveryone |
	PermissionFlagsBits.SendTTSMessages |
	PermissionFlagsBits.AttachFiles |
	PermissionFlagsBits.EmbedLinks;

/**
 * Guild-level permissions of a member: `@everyone` plus every role they hold;
 * the owner and Administrator holders get everything, like Discord computes it.
 */
export function memberPermissions(guild: GuildRecord, userId: string): bigint {
	if (guild.ownerId === userId) return ALL_PERMISSIONS;
	const member = guild.members.get(userId);
	let permissions = guild.roles.get(guild.id)?.permissions ?? 0n;
	for (const roleId of member?.roles ?? []) permissions |= guild.roles.get(roleId)?.permissions ?? 0n;
	if ((permissions & PermissionFlagsBits.Administrator) !== 0n) return ALL_PERMISSIONS;
	return permissions;
}

/**
 * A member's permissions in one channel, computed the way Discord documents it: the guild-level permissions
 * (owner and Administrator get everything and skip overwrites), then the `@everyone` overwrite, then the
 * member's role overwrites aggregated (all their denies, then all their allows), then the member's own
 * overwrite. Implicit rules follow: without View Channel nothing is left; in a text channel without Send
 * Messages, Mention Everyone, Send TTS, Attach Files and Embed Links go too.
 */
export function channelPermissions(guild: GuildRecord, channel: ChannelRecord, userId: string): bigint {
	let permissions = memberPermissions(guild, userId);
	if (permissions === ALL_PERMISSIONS) return ALL_PERMISSIONS;
	const overwrites = channel.overwrites;
	const everyone = overwrites.find((o) => o.id === guild.id);
	if (everyone) permissions = (permissions & ~everyone.deny) | everyone.allow;
	const roles = new Set(guild.members.get(userId)?.roles ?? []);
	let deny = 0n;
	let allow = 0n;
	for (const o of overwrites) {
		if (o.type !== OverwriteType.Role || o.id === guild.id || !roles.has(o.id)) continue;
		deny |= o.deny;
		allow |= o.allow;
	}
	permissions = (permissions & ~deny) | allow;
	const own = overwrites.find((o) => o.type === OverwriteType.Member && o.id === userId);
	if (own) permissions = (permissions & ~own.deny) | own.allow;
	if ((permissions & PermissionFlagsBits.ViewChannel) === 0n) return 0n;
	if (channel.type === 0 && (permissions & PermissionFlagsBits.SendMessages) === 0n) permissions &= ~NEEDS_SEND_MESSAGES;
	return permissions;
}

/** Names of the permission bits in `bits` (`ManageGuild`, …), for messages that say what is missing. */
export function permissionNames(bits: bigint): string[] {
	return Object.entries(PermissionFlagsBits)
		.filter(([, bit]) => (bits & bit) !== 0n)
		.map(([name]) => name);
}

/** An overwrite as API JSON (`allow`/`deny` as decimal strings). */
export function toApiOverwrite(overwrite: OverwriteRecord): { id: string; type: number; allow: string; deny: string } {
	return { id: overwrite.id, type: overwrite.type, allow: overwrite.allow.toString(), deny: overwrite.deny.toString() };
}

/** Position of the member's highest role (0 = only `@everyone`). */
export function highestRolePosition(guild: GuildRecord, userId: string): number {
	const member = guild.members.get(userId);
	let highest = 0;
	for (const roleId of member?.roles ?? []) highest = Math.max(highest, guild.roles.get(roleId)?.position ?? 0);
	return highest;
}

/** Whether `actorId` may add/remove `roleId`: Manage Roles and a highest role strictly above it (owner always may). */
export function canManageRole(guild: GuildRecord, actorId: string, roleId: string): boolean {
	const role = guild.roles.get(roleId);
	if (!role || role.managed || role.id === guild.id) return false;
	if (guild.ownerId === actorId) return true;
	if ((memberPermissions(guild, actorId) & PermissionFlagsBits.ManageRoles) === 0n) return false;
	return highestRolePosition(guild, actorId) > role.position;
}

/**
 * Why Discord would not offer a slash command to a member in a channel, or `null` when it would. The member needs
 * Use Application Commands there (and so View Channel). Then a server's overrides of the command decide, most
 * specific first: one for the user, else those of their roles (an allow wins), else the `@everyone` one. Without
 * any, every bit of the command's `default_member_permissions` is needed in that channel; `"0"` keeps it for
 * administrators (and the owner). Subcommands and groups have no setting of their own: the top-level command's
 * applies to all of them. Administrators pass every check but the first.
 */
export function invocationRefusal(
	guild: GuildRecord,
	channel: ChannelRecord,
	userId: string,
	command: { name: string; defaultMemberPermissions: string | null },
	overrides: readonly CommandOverride[] = []
): string | null {
	const has = channelPermissions(guild, channel, userId);
	const where = `in #${channel.name}`;
	if ((has & PermissionFlagsBits.ViewChannel) === 0n) return `user ${userId} cannot see #${channel.name} (no ViewChannel there)`;
	if ((has & PermissionFlagsBits.UseApplicationCommands) === 0n) return `user ${userId} lacks UseApplicationCommands ${where}`;
	const admin = (has & PermissionFlagsBits.Administrator) !== 0n;
	const roles = new Set(guild.members.get(userId)?.roles ?? []);
	const forUser = overrides.find((o) => o.type === 2 && o.id === userId);
	const forRoles = overrides.filter((o) => o.type === 1 && roles.has(o.id));
	const forEveryone = overrides.find((o) => o.type === 1 && o.id === guild.id);
	const decided = forUser?.permission ?? (forRoles.length > 0 ? forRoles.some((o) => o.permission) : forEveryone?.permission);
	if (decided !== undefined) {
		return decided || admin ? null : `/${command.name} is switched off for user ${userId} in this server's integration settings`;
	}
	if (command.defaultMemberPermissions === null || admin) return null;
	const needed = BigInt(command.defaultMemberPermissions);
	if (needed === 0n)
		return `/${command.name} has default_member_permissions "0" (administrators only) and user ${userId} lacks Administrator ${where}`;
	const missing = needed & ~has;
	if (missing === 0n) return null;
	return `/${command.name} needs ${permissionNames(needed).join(', ')} (default_member_permissions); user ${userId} lacks ${permissionNames(missing).join(', ')} ${where}`;
}
