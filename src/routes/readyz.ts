import { Route } from '@sapphire/plugin-api';
import { readyz } from '../core/ops.ts';

/**
 * `GET /readyz`: 200 when every dependency answers (gateway or Discord's REST, database, Redis); 503 naming what is
 * down otherwise. `details` shows progress that never fails readiness (the background command sync and its failing guilds).
 */
export class ReadyzRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, route: 'readyz', methods: ['GET'] });
	}

	public async run(_request: Route.Request, response: Route.Response) {
		const answer = await readyz(this.container.health);
		response.status(answer.status).json(JSON.parse(answer.body));
	}
}
