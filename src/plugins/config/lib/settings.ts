import { z } from 'zod';
import { DISCORD_CONTENT_LIMIT, truncate } from '../../../core/errors.ts';
import { text } from '../../../core/input.ts';
import { channelReference, roleReference } from '../../../core/references.ts';

/** True when `name` is an IANA time zone this runtime knows. */
export function isValidTimeZone(name: string): boolean {
	if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
	try {
		new Intl.DateTimeFormat('en-US', { timeZone: name });
		return true;
	} catch {
		return false;
	}
}

/** Every IANA time zone, for autocomplete. */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

/** Locales Discord supports, which Facet accepts for a guild. */
export const LOCALES = [
	'en-US',
	'en-GB',
	'bg',
	'zh-CN',
	'zh-TW',
	'hr',
	'cs',
	'da',
	'nl',
	'fi',
	'fr',
	'de',
	'el',
	'hi',
	'hu',
	'it',
	'ja',
	'ko',
	'lt',
	'no',
	'pl',
	'pt-BR',
	'ro',
	'ru',
	'es-ES',
	'es-419',
	'sv-SE',
	'th',
	'tr',
	'uk',
	'vi',
	'id'
] as const;

/** The config plugin's per-guild settings, with their defaults. */
export const ConfigSettings = z.object({
	/** A text or announcement channel of the guild (checked against the bot's cache on every write). */
	welcomeChannel: channelReference('text').nullable().default(null),
	welcomeMessage: text({ max: 1_500, multiline: true })
		.refine((template) => welcomeWorstCase(template) <= DISCORD_CONTENT_LIMIT, {
			error: (issue) =>
				`filled in, it could reach ${welcomeWorstCase(String(issue.input))} characters (a mention is up to ${WORST_USER.length}, a server name up to ${WORST_SERVER.length}); Discord allows ${DISCORD_CONTENT_LIMIT}: use fewer {user} and {server}`
		})
		.default('Welcome to {server}, {user}!'),
	dailyChannel: channelReference('text').nullable().default(null),
	timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris').default('UTC'),
	locale: z.enum(LOCALES).default('en-US'),
	/** Roles of the guild that may use the dashboard; never `@everyone`, which would let every member in. */
	dashboardRoles: z.array(roleReference()).max(25, 'at most 25 roles').default([])
});

/** Parsed config settings. */
export type ConfigSettings = z.infer<typeof ConfigSettings>;

/** Setting keys, with the label a person reads. */
export const SETTING_LABELS: Record<keyof ConfigSettings, string> = {
	welcomeChannel: 'Welcome channel',
	welcomeMessage: 'Welcome message',
	dailyChannel: 'Daily channel',
	timezone: 'Time zone',
	locale: 'Locale',
	dashboardRoles: 'Dashboard roles'
};

/** Fills `{user}` and `{server}` in a welcome message (cut to Discord's 2,000 characters, for messages stored before the check). */
export function renderWelcome(template: string, values: { user: string; server: string }): string {
	return truncate(template.replaceAll('{user}', values.user).replaceAll('{server}', values.server));
}

/** The longest a user mention (`<@` + a 20-digit id + `>`) and a server name (100 characters) can be. */
const WORST_USER = `<@${'9'.repeat(20)}>`;
const WORST_SERVER = 'x'.repeat(100);

/** Length of a welcome message filled in with the longest mention and server name: what Discord must accept. */
export function welcomeWorstCase(template: string): number {
	return template.replaceAll('{user}', WORST_USER).replaceAll('{server}', WORST_SERVER).length;
}

/** Shows a setting's value the way Discord renders mentions. */
export function formatSetting(key: string, value: unknown): string {
	if (value === null || value === undefined) return '*not set*';
	if (key === 'welcomeChannel' || key === 'dailyChannel') return `<#${value}>`;
	if (key === 'dashboardRoles') return Array.isArray(value) && value.length ? value.map((id) => `<@&${id}>`).join(', ') : '*none*';
	if (key === '$enabled') return value ? 'on' : 'off';
	if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
	return JSON.stringify(value);
}
