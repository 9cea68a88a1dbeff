import { Route } from '@sapphire/plugin-api';
import { runSafely } from '../../core/api/index.ts';
import { startLogin } from '../../core/api/login.ts';

/** `GET /oauth/login`: starts the Discord OAuth2 login (see {@link startLogin}). */
export class OAuthLoginRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreOAuthLogin', route: 'oauth/login', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('oauth/login', response, () => startLogin(request, response));
	}
}
