import { PermissionFlagsBits, type PermissionsBitField } from 'discord.js';

/**
 * Permissions that make a role a moderator's or an admin's: a tier with such a role hands them to whoever
 * collects enough points, so adding one needs the admin's explicit confirmation and the tier list marks it.
 */
export const DANGEROUS_PERMISSIONS = {
	Administrator: PermissionFlagsBits.Administrator,
	'Manage Server': PermissionFlagsBits.ManageGuild,
	'Manage Roles': PermissionFlagsBits.ManageRoles,
	'Manage Channels': PermissionFlagsBits.ManageChannels,
	'Manage Messages': PermissionFlagsBits.ManageMessages,
	'Manage Webhooks': PermissionFlagsBits.ManageWebhooks,
	'Manage Nicknames': PermissionFlagsBits.ManageNicknames,
	'Manage Expressions': PermissionFlagsBits.ManageGuildExpressions,
	'Manage Events': PermissionFlagsBits.ManageEvents,
	'Manage Threads': PermissionFlagsBits.ManageThreads,
	'Kick Members': PermissionFlagsBits.KickMembers,
	'Ban Members': PermissionFlagsBits.BanMembers,
	'Timeout Members': PermissionFlagsBits.ModerateMembers,
	'Mute Members': PermissionFlagsBits.MuteMembers,
	'Deafen Members': PermissionFlagsBits.DeafenMembers,
	'Move Members': PermissionFlagsBits.MoveMembers,
	'Mention @everyone': PermissionFlagsBits.MentionEveryone,
	'View Audit Log': PermissionFlagsBits.ViewAuditLog
} as const;

/** The names of the dangerous permissions a role's permissions carry, in {@link DANGEROUS_PERMISSIONS} order. */
export function dangerousPermissions(permissions: Readonly<PermissionsBitField>): string[] {
	return Object.entries(DANGEROUS_PERMISSIONS)
		.filter(([, flag]) => permissions.has(flag, false))
		.map(([name]) => name);
}
