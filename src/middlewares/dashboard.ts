import { Middleware } from '@sapphire/plugin-api';
import { getApiServices, runSafely } from '../core/api/index.ts';
import { hasApiRoute, serveDashboard } from '../core/api/static.ts';

/**
 * Serves the built dashboard for paths no API route has (see {@link serveDashboard}); first in the pipeline so
 * page loads and assets are neither rate limited nor counted, and never reached by a request a route matches.
 */
export class DashboardMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'dashboard', position: 5 });
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		const root = getApiServices().config.dashboardDir;
		if (!root || hasApiRoute(request)) return;
		return runSafely('dashboard', response, async () => {
			await serveDashboard(request, response, root);
		});
	}
}
