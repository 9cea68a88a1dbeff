import { Listener } from '@sapphire/framework';
import { type Route, ServerEvent } from '@sapphire/plugin-api';
import { sendErrorOf } from '../core/api/index.ts';

/** Answers an error that escaped a route or middleware in its API form (the one renderer); logs it when it is a bug. */
function answer(listener: Listener, kind: string, error: unknown, request: Route.Request, response: Route.Response) {
	const { bug } = sendErrorOf(response, error);
	if (bug) listener.container.log.error({ err: error, route: request.route?.name, method: request.method }, `API ${kind} failed`);
}

/** Replaces plugin-api's `PluginRouteError` (same name): a bug is logged with the route and answered 500 `internal_error` without its message. */
export class ApiRouteErrorListener extends Listener {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'PluginRouteError', emitter: 'server', event: ServerEvent.RouteError });
	}

	public run(error: unknown, request: Route.Request, response: Route.Response) {
		answer(this, 'route', error, request, response);
	}
}

/** Replaces plugin-api's `PluginServerMiddlewareError` (same name), with the same contract as the route error listener. */
export class ApiMiddlewareErrorListener extends Listener {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'PluginServerMiddlewareError', emitter: 'server', event: ServerEvent.MiddlewareError });
	}

	public run(error: unknown, request: Route.Request, response: Route.Response) {
		answer(this, 'middleware', error, request, response);
	}
}
