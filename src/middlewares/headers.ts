import { Middleware } from '@sapphire/plugin-api';
import { getApiServices, runSafely } from '../core/api/index.ts';
import { applyHeaders } from '../core/api/pipeline.ts';

/**
 * Replaces plugin-api's `headers` middleware (same name): CORS for `DASHBOARD_ORIGIN` only (never `*`),
 * preflights, 404/405 as JSON, and refusal of cross-site writes.
 */
export class HeadersMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'headers', position: 10 });
	}

	/** Builds the API's services when the pieces load, so a missing SESSION_SECRET is reported at start, not at first login. */
	public override onLoad() {
		getApiServices();
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		return runSafely('headers', response, () => applyHeaders(request, response, this.container.server.routes.router.supportedMethods));
	}
}
