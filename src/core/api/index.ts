/**
 * Facet's dashboard API: sessions, Discord OAuth2, and the helpers every route uses.
 *
 * A guild route (core or plugin) guards itself in one line and validates its body in another:
 * @example
 * const ctx = await requireGuildManager(request, response);
 * if (!ctx) return;
 * const body = parseBody(request, response, Schema);
 * if (!body) return;
 */

export { FacetError, type FieldErrors, fieldErrorsOf } from '../errors.ts';
export {
	canManageGuild,
	clearSessionCookie,
	dashboardRolesOf,
	guildIdOf,
	isGuildRoute,
	requireGuildManager,
	requireSession,
	resolveSession
} from './access.ts';
export { type ApiConfig, DefaultApiOptions } from './config.ts';
export { type ApiErrorCode, ApiErrors, sendError, sendErrorOf, sendFieldErrors } from './errors.ts';
export { DEFAULT_BODY_LIMIT, jsonBody, parseBody, sessionRateLimitKey } from './pipeline.ts';
export type { GuildContext, ManageAccess } from './request-state.ts';
export { runSafely } from './safe.ts';
export { ApiServices, getApiServices } from './services.ts';
export type { Session } from './sessions.ts';
