import { Route } from '@sapphire/plugin-api';
import type { GuildsAnswer } from '../../core/api/contract.ts';
import { clearSessionCookie, getApiServices, requireSession, runSafely, sendError } from '../../core/api/index.ts';
import { invitableGuilds, manageableGuilds, SessionRevokedError } from '../../core/api/views.ts';

/**
 * `GET /guilds`: the guilds the bot is in that the user may manage, decided from the bot's view of the member, and
 * the user's guilds without the bot that they could invite it to.
 */
export class GuildsListRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreGuildsList', route: 'guilds', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('guilds', response, async () => {
			const session = await requireSession(request, response);
			if (!session) return;
			const api = getApiServices();
			try {
				const guilds = await manageableGuilds(api, session);
				// Same cached OAuth list: no second call to Discord.
				response.json({ guilds, invitable: await invitableGuilds(api, session) } satisfies GuildsAnswer);
			} catch (error) {
				if (!(error instanceof SessionRevokedError)) throw error;
				await api.sessions.delete(session.id);
				clearSessionCookie(request, response);
				sendError(response, 'unauthorized');
			}
		});
	}
}
