import { Route } from '@sapphire/plugin-api';
import { requireSession, runSafely } from '../../core/api/index.ts';
import { userView } from '../../core/api/views.ts';

/** `GET /users/@me`: the logged-in user (id, username, display name, avatar hash). */
export class UsersMeRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreUsersMe', route: 'users/@me', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('users/@me', response, async () => {
			const session = await requireSession(request, response);
			if (!session) return;
			response.json(userView(session));
		});
	}
}
