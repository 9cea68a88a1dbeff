import type { IncomingMessage } from 'node:http';

/** Parses a `Cookie` header into name → value. Malformed pairs and bad percent-escapes are skipped, never thrown. */
export function parseCookies(header: string | undefined): Map<string, string> {
	const cookies = new Map<string, string>();
	if (!header) return cookies;
	for (const pair of header.split(';')) {
		const index = pair.indexOf('=');
		if (index <= 0) continue;
		const name = pair.slice(0, index).trim();
		let value = pair.slice(index + 1).trim();
		if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
		try {
			value = decodeURIComponent(value);
		} catch {
			continue;
		}
		// First occurrence wins, as in browsers' ordering (most specific path first).
		if (!cookies.has(name)) cookies.set(name, value);
	}
	return cookies;
}

/** Attributes of a `Set-Cookie` header Facet writes. */
export interface CookieOptions {
	maxAgeSeconds: number;
	secure: boolean;
	path?: string;
	sameSite?: 'Lax' | 'Strict' | 'None';
	httpOnly?: boolean;
}

/** Serializes a cookie. The value must already be cookie-safe (Facet only writes base64url). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
	if (!/^[\w-]+$/.test(name) || !/^[\w-]*$/.test(value)) throw new TypeError('cookie name and value must be base64url-safe');
	const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`];
	if (options.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
	if (options.httpOnly ?? true) parts.push('HttpOnly');
	parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
	if (options.secure) parts.push('Secure');
	return parts.join('; ');
}

/** Adds a `Set-Cookie` header without dropping ones already set. */
export function appendSetCookie(
	response: { getHeader(name: string): unknown; setHeader(name: string, value: string[]): unknown },
	cookie: string
): void {
	const existing = response.getHeader('Set-Cookie');
	const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
	list.push(cookie);
	response.setHeader('Set-Cookie', list);
}

/** The first value of a header that may be repeated. */
export function headerValue(request: IncomingMessage, name: string): string | undefined {
	const value = request.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}
