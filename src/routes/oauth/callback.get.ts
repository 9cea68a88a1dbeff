import { Route } from '@sapphire/plugin-api';
import { runSafely } from '../../core/api/index.ts';
import { finishLogin } from '../../core/api/login.ts';

/** `GET /oauth/callback`: Discord sends the browser back here (see {@link finishLogin}). */
export class OAuthCallbackRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreOAuthCallback', route: 'oauth/callback', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('oauth/callback', response, () => finishLogin(request, response));
	}
}
