import { Route } from '@sapphire/plugin-api';
import { runSafely } from '../../core/api/index.ts';
import { logout } from '../../core/api/login.ts';

/** `POST /oauth/logout`: ends the session server-side and clears the cookie (see {@link logout}). */
export class OAuthLogoutRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreOAuthLogout', route: 'oauth/logout', methods: ['POST'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('oauth/logout', response, () => logout(request, response));
	}
}
