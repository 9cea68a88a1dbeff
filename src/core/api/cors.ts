/** Methods a browser may send without a preflight changing anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Headers the dashboard may send. */
export const CORS_ALLOWED_HEADERS = 'Content-Type, Authorization';

/** Seconds a browser may cache a granted preflight. */
export const CORS_MAX_AGE_SECONDS = 600;

/** The CORS grant for one request: headers to set (empty when the origin is not granted). */
export function corsHeaders(
	origin: string | undefined,
	allowedOrigin: string,
	methods: readonly string[],
	preflight: boolean
): Record<string, string> {
	if (!origin || origin !== allowedOrigin) return {};
	const headers: Record<string, string> = {
		'Access-Control-Allow-Origin': origin,
		'Access-Control-Allow-Credentials': 'true'
	};
	if (preflight) {
		headers['Access-Control-Allow-Methods'] = methods.join(', ');
		headers['Access-Control-Allow-Headers'] = CORS_ALLOWED_HEADERS;
		headers['Access-Control-Max-Age'] = String(CORS_MAX_AGE_SECONDS);
	}
	return headers;
}

/** What a write says about where it comes from, besides `Origin`. */
export interface WriteContext {
	/** The `Sec-Fetch-Site` header a browser adds (`same-origin`, `same-site`, `cross-site`, `none`). */
	secFetchSite?: string;
	/** Whether the request carries the session cookie (valid or not): the ambient authority a forged write would use. */
	sessionCookie?: boolean;
}

/**
 * CSRF guard for requests that may change state. With an `Origin`, it must be a trusted one. Without one, the
 * request must say `Sec-Fetch-Site: same-origin`, unless it carries no session cookie: a write with neither
 * proof of where it comes from nor ambient credentials (curl, a server) acts as nobody and passes to the usual
 * 401; a write with the cookie but no proof (an old browser, a privacy proxy stripping `Origin`, a plugin) is
 * refused rather than trusted.
 */
export function isCrossSiteWrite(
	method: string,
	origin: string | undefined,
	trusted: ReadonlySet<string>,
	context: WriteContext = {}
): boolean {
	if (SAFE_METHODS.has(method.toUpperCase())) return false;
	if (origin !== undefined) return !trusted.has(origin);
	if (context.secFetchSite?.toLowerCase() === 'same-origin') return false;
	return context.sessionCookie === true;
}
