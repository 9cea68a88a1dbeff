import { Route } from '@sapphire/plugin-api';
import { livez } from '../core/ops.ts';

/** `GET /livez`: the process is up and its event loop answers. */
export class LivezRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, route: 'livez', methods: ['GET'] });
	}

	public run(_request: Route.Request, response: Route.Response) {
		response.json(JSON.parse(livez().body));
	}
}
