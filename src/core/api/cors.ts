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

/**
 * CSRF guard: a browser request that may change state and carries an `Origin` must come from a trusted origin.
 * Requests without `Origin` (curl, servers) are not browsers' cross-site requests and pass.
 */
export function isCrossSiteWrite(method: string, origin: string | undefined, trusted: ReadonlySet<string>): boolean {
	if (SAFE_METHODS.has(method.toUpperCase())) return false;
	if (origin === undefined) return false;
	return !trusted.has(origin);
}
