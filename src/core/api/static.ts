import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ApiRequest, ApiResponse } from '@sapphire/plugin-api';

/*
 * Serves the built dashboard (`dashboard/dist`) from the API server, for the sandbox: one URL to open. Runs
 * before every API step and only for requests no API route matches, so it never shadows a route; production
 * serves the same files from nginx instead.
 */

/** Content types of the files a Vite build writes. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.mjs': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json; charset=utf-8',
	'.map': 'application/json; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.webp': 'image/webp',
	'.woff2': 'font/woff2',
	'.txt': 'text/plain; charset=utf-8',
	'.webmanifest': 'application/manifest+json'
};

/**
 * The page's Content-Security-Policy: scripts and styles from the dashboard's own origin only (Mantine sets
 * inline `style` attributes), images from Discord's CDN too, no framing.
 */
export const DASHBOARD_CSP =
	"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https://cdn.discordapp.com; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * True when an API route lives at this path (any method). Branch nodes without routes (`/`, `/mileage`) are not
 * routes: the dashboard may answer there.
 */
export function hasApiRoute(request: ApiRequest): boolean {
	const node = request.routerNode;
	return node !== null && node !== undefined && [...node.methods()].length > 0;
}

/** True for a request a browser makes to open a page (so an unknown path gets the app, not JSON). */
function wantsPage(request: ApiRequest): boolean {
	const accept = request.headers.accept ?? '';
	return accept.includes('text/html');
}

async function fileAt(path: string): Promise<{ path: string; size: number } | null> {
	try {
		const info = await stat(path);
		return info.isFile() ? { path, size: info.size } : null;
	} catch {
		return null;
	}
}

/**
 * Answers a GET/HEAD the API has no route for from the dashboard folder: a file that exists (hashed assets are
 * cached for a year), else `index.html` for `/` and for page loads of client routes (paths without a file
 * extension, asked for as HTML). Anything else is left alone (the API's JSON 404 follows). Resolves true when
 * it answered.
 */
export async function serveDashboard(request: ApiRequest, response: ApiResponse, root: string): Promise<boolean> {
	const method = (request.method ?? 'GET').toUpperCase();
	if ((method !== 'GET' && method !== 'HEAD') || hasApiRoute(request)) return false;
	let pathname: string;
	try {
		pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
	} catch {
		return false;
	}
	// Resolved inside the root or not at all: `..`, NUL and backslashes never reach the file system.
	if (pathname.includes('\0') || pathname.includes('\\')) return false;
	const relative = normalize(pathname).replace(/^([/\\])+/, '');
	if (relative.split(sep).includes('..')) return false;

	let file = relative === '' ? null : await fileAt(join(root, relative));
	let page = false;
	if (!file && (relative === '' || (extname(relative) === '' && wantsPage(request)))) {
		file = await fileAt(join(root, 'index.html'));
		page = true;
	}
	if (!file) return false;

	const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
	response.statusCode = 200;
	response.setHeader('Content-Type', type);
	response.setHeader('Content-Length', String(file.size));
	response.setHeader('X-Content-Type-Options', 'nosniff');
	response.setHeader('Referrer-Policy', 'same-origin');
	// Vite names built assets by their content hash: they never change under one name.
	const immutable = !page && relative.startsWith('assets/');
	response.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
	if (type.startsWith('text/html')) {
		response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
		response.setHeader('X-Frame-Options', 'DENY');
	}
	if (method === 'HEAD') {
		response.end();
		return true;
	}
	try {
		await pipeline(createReadStream(file.path), response);
	} catch (error) {
		// A client that went away mid-file (a closed tab, a cancelled load) is nothing to answer or log.
		if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
			if (!response.headersSent) throw error;
			// The status line is out: cut the connection so the browser sees a broken file, not a short one.
			response.destroy();
		}
	}
	// Marks the answer finished, so no later pipeline step tries to answer a request that is over.
	if (!response.writableEnded) response.end();
	return true;
}
