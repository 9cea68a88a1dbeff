import { PermissionFlagsBits } from 'discord-api-types/v10';
import { memberPermissions } from './permissions.ts';
import type { SandboxState } from './state.ts';

/** A message's `allowed_mentions` as sent: `undefined` means Discord's default (everything in the content may ping). */
export interface AllowedMentions {
	parse?: string[];
	users?: string[];
	roles?: string[];
}

const strings = (value: unknown): string[] | undefined =>
	Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

/** Reads `allowed_mentions` from a (schema-checked) body; `null` and absent both mean the default. */
export function readAllowedMentions(value: unknown): AllowedMentions | undefined {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
	const raw = value as Record<string, unknown>;
	const out: AllowedMentions = {};
	const parse = strings(raw.parse);
	const users = strings(raw.users);
	const roles = strings(raw.roles);
	if (parse) out.parse = parse;
	if (users) out.users = users;
	if (roles) out.roles = roles;
	return out;
}

/**
 * Who a message pings, as Discord decides it: the mentions in the content, narrowed by `allowed_mentions`;
 * `@everyone`/`@here` only when the author has Mention Everyone; a role only when it is mentionable or the
 * author has Mention Everyone.
 */
export function resolveMentions(
	state: SandboxState,
	where: { guildId: string | null; authorId: string },
	found: { users: string[]; roles: string[]; everyone: boolean },
	allowed: AllowedMentions | undefined
): { users: string[]; roles: string[]; everyone: boolean } {
	const guild = where.guildId ? state.guilds.get(where.guildId) : undefined;
	const canMentionEveryone = guild ? (memberPermissions(guild, where.authorId) & PermissionFlagsBits.MentionEveryone) !== 0n : false;
	const permits = (kind: 'users' | 'roles', id: string): boolean => {
		if (!allowed) return true;
		return (allowed.parse?.includes(kind) ?? false) || (allowed[kind]?.includes(id) ?? false);
	};
	const users = found.users.filter((id) => permits('users', id));
	const roles = found.roles.filter((id) => permits('roles', id) && (canMentionEveryone || guild?.roles.get(id)?.mentionable === true));
	const everyone = found.everyone && canMentionEveryone && (!allowed || (allowed.parse?.includes('everyone') ?? false));
	return { users, roles, everyone };
}
