/*
 * The API's answers, declared once: the server's view functions and routes are typed by them (`satisfies`, return
 * types), and the dashboard imports them by type only. Pure types with no imports of server code, so the
 * dashboard's type check stays out of the server and its bundle cannot contain any (its build refuses modules
 * under src/).
 */

/** The reason a member may manage a guild, strongest first. */
export type ManageAccess = 'owner' | 'administrator' | 'manage_guild' | 'dashboard_role';

/** Field path (dot-joined, `''` for the body itself) → messages, as answered with `invalid_body`. */
export type FieldErrors = Record<string, string[]>;

/** Every error answer: `{ error, message?, fields? … }`; the dashboard switches on `error` (see docs/api.md). */
export interface ApiErrorBody {
	error: string;
	message?: string;
	/** Field errors of a 400, keyed by the dotted path of the field. */
	fields?: FieldErrors;
	/** Seconds to wait, with 429 `rate_limited`. */
	retryAfter?: number;
}

/** `GET /users/@me`. */
export interface UserView {
	id: string;
	username: string;
	globalName: string | null;
	avatar: string | null;
}

/** One entry of `GET /guilds`. */
export interface GuildSummary {
	id: string;
	name: string;
	icon: string | null;
	access: ManageAccess;
}

/** `GET /guilds/:guild`: what the dashboard's pickers need. */
export interface GuildDetail extends GuildSummary {
	/** How often (seconds, ≤ 60) an open page asks again, so a user who lost access is shut out within that. */
	accessRecheckSeconds: number;
	channels: { id: string; name: string; type: number; position: number; parentId: string | null }[];
	roles: { id: string; name: string; color: number; position: number; managed: boolean }[];
}

/** A guild the user may manage by their own token's word where the bot is missing: offered an invite. */
export interface InvitableGuild {
	id: string;
	name: string;
	icon: string | null;
	/** Discord's bot authorization page for this guild (client id, scopes, permissions, the guild preselected). */
	inviteUrl: string;
}

/** `GET /guilds`. */
export interface GuildsAnswer {
	guilds: GuildSummary[];
	/** Empty when Discord cannot be asked for the user's guild list. */
	invitable: InvitableGuild[];
}

/** A plugin as the dashboard shows it in one guild (`GET|PUT /guilds/:guild/plugins/:plugin`). */
export interface PluginView {
	name: string;
	description: string;
	required: boolean;
	defaultEnabled: boolean;
	enabled: boolean;
}

/** `GET /guilds/:guild/plugins`. */
export interface PluginsAnswer {
	plugins: PluginView[];
}

/** A JSON Schema (draft 2020-12) object as zod writes it; the parts the dashboard's forms read. */
export interface JsonSchema {
	type?: string | string[];
	properties?: Record<string, JsonSchema>;
	items?: JsonSchema;
	anyOf?: JsonSchema[];
	enum?: unknown[];
	default?: unknown;
	minimum?: number;
	maximum?: number;
	minLength?: number;
	maxLength?: number;
	maxItems?: number;
	pattern?: string;
	description?: string;
}

/** `GET /guilds/:guild/plugins/:plugin/settings` (and the answer of its PATCH). */
export interface SettingsAnswer {
	plugin: string;
	settings: Record<string, unknown>;
	/** The settings' input schema, for forms; null for a plugin without settings. */
	schema: JsonSchema | null;
}

/** One configuration change (`GET /guilds/:guild/audit`); `before`/`after` null = the default. */
export interface AuditEntryView {
	id: string;
	actorId: string;
	source: string;
	plugin: string;
	/** A setting's key, or `$enabled` for the plugin's switch. */
	key: string;
	before: { value: unknown } | null;
	after: { value: unknown } | null;
	revertOf: string | null;
	createdAt: string;
}

/** `GET /guilds/:guild/audit`. */
export interface AuditAnswer {
	entries: AuditEntryView[];
}

/** `POST /guilds/:guild/audit/:entry/revert`. */
export interface RevertAnswer {
	reverted: string;
	entry: AuditEntryView | null;
}

/** `GET /time-zones`: the IANA zones the server accepts, UTC first. */
export interface TimeZonesAnswer {
	timeZones: string[];
}
