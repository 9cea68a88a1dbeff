import { Middleware } from '@sapphire/plugin-api';
import { parseCookies } from '../core/api/cookies.ts';
import { requestState } from '../core/api/request-state.ts';

/**
 * Replaces plugin-api's `cookies` middleware (same name), which answers 500 when the Host is the client's own IP
 * and sets no SameSite. Facet only parses cookies here; the session cookie is written by the OAuth routes.
 */
export class CookiesMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'cookies', position: 11 });
	}

	public run(request: Middleware.Request) {
		requestState(request).cookies = parseCookies(request.headers.cookie);
	}
}
