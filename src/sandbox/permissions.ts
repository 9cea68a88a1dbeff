import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { GuildRecord } from './state.ts';

/** Every permission bit Discord defines, granted to owners and administrators. */
export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((acc, bit) => acc | bit, 0n);

/**
 * Guild-level permissions of a member: `@everyone` plus every role they hold;
 * the owner and Administrator holders get everything, like Discord computes it.
 * Channel overwrites are not modelled (the seed has none).
 */
export function memberPermissions(guild: GuildRecord, userId: string): bigint {
	if (guild.ownerId === userId) return ALL_PERMISSIONS;
	const member = guild.members.get(userId);
	let permissions = guild.roles.get(guild.id)?.permissions ?? 0n;
	for (const roleId of member?.roles ?? []) permissions |= guild.roles.get(roleId)?.permissions ?? 0n;
	if ((permissions & PermissionFlagsBits.Administrator) !== 0n) return ALL_PERMISSIONS;
	return permissions;
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
