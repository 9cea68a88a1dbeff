import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { RoleChanges } from '../actions.ts';
import { Errors, FormErrors } from '../errors.ts';
import { ALL_PERMISSIONS, highestRolePosition, memberPermissions } from '../permissions.ts';
import type { GuildRecord, RoleRecord } from '../state.ts';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The fields of a Create/Modify Guild Role body the emulator models (`name`, `permissions`, `color` or
 * `colors.primary_color`, `hoist`, `mentionable`; null means "leave as is / default"), or a 50035 with every problem. Other keys are ignored.
 */
export function parseRoleBody(json: unknown): Omit<RoleChanges, 'position'> {
	if (!isObject(json)) {
		throw Errors.invalidFormBody({ _errors: [{ code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' }] });
	}
	const errors = new FormErrors();
	const out: Omit<RoleChanges, 'position'> = {};
	const { name, permissions, hoist, mentionable } = json;
	// discord.js sends `colors.primary_color`; the older `color` is still accepted (`colors` wins).
	const colors = json.colors;
	const color = isObject(colors) && colors.primary_color !== undefined ? colors.primary_color : json.color;
	if (name !== undefined && name !== null) {
		if (typeof name !== 'string') errors.add(['name'], 'BASE_TYPE_STRING', 'Must be a string.');
		else if (name.length < 1 || name.length > 100) errors.add(['name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
		else out.name = name;
	}
	if (permissions !== undefined && permissions !== null) {
		const text = typeof permissions === 'number' && Number.isSafeInteger(permissions) ? String(permissions) : permissions;
		if (typeof text !== 'string' || !/^\d{1,20}$/.test(text) || (BigInt(text) & ~ALL_PERMISSIONS) !== 0n) {
			errors.add(['permissions'], 'BASE_TYPE_BAD_INT', 'Value is not a valid permission set.');
		} else out.permissions = BigInt(text);
	}
	if (color !== undefined && color !== null) {
		if (typeof color !== 'number' || !Number.isInteger(color))
			errors.add(['color'], 'NUMBER_TYPE_COERCE', `Value "${String(color)}" is not int.`);
		else if (color < 0 || color > 0xffffff) errors.add(['color'], 'NUMBER_TYPE_MAX', 'int value should be <= 16777215 and >= 0.');
		else out.color = color;
	}
	for (const [key, value] of [
		['hoist', hoist],
		['mentionable', mentionable]
	] as const) {
		if (value === undefined || value === null) continue;
		if (typeof value !== 'boolean') errors.add([key], 'BASE_TYPE_BOOLEAN', 'Must be either true or false.');
		else out[key] = value;
	}
	errors.throwIfAny();
	return out;
}

/**
 * Discord's checks for the bot creating (`role` undefined) or editing a role: Manage Roles, a highest role
 * strictly above the one edited, and no granting of permissions the bot does not have itself (50013 each).
 * The owner and Administrator holders pass the permission checks; only the owner skips the hierarchy.
 */
export function assertCanWriteRole(guild: GuildRecord, actorId: string, role: RoleRecord | undefined, permissions?: bigint): void {
	const own = memberPermissions(guild, actorId);
	if ((own & PermissionFlagsBits.ManageRoles) === 0n) throw Errors.missingPermissions();
	if (role && guild.ownerId !== actorId && highestRolePosition(guild, actorId) <= role.position) throw Errors.missingPermissions();
	if (permissions === undefined) return;
	const granted = permissions & ~(role?.permissions ?? 0n);
	if ((granted & ~own) !== 0n) throw Errors.missingPermissions();
}
