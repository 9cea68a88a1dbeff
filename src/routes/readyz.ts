import { Route } from '@sapphire/plugin-api';

/**
 * `GET /readyz`: 200 when gateway, database and Redis all answer; 503 naming what is down otherwise. `details` shows
 * progress that never fails readiness (the background command sync and its failing guilds).
 */
export class ReadyzRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, route: 'readyz', methods: ['GET'] });
	}

	public async run(_request: Route.Request, response: Route.Response) {
		const readiness = await this.container.health.readiness();
		response.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'not_ready', ...readiness });
	}
}
