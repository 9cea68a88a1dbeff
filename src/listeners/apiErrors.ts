import { Listener } from '@sapphire/framework';
import { type Route, ServerEvent } from '@sapphire/plugin-api';
import { sendError } from '../core/api/index.ts';

function answer(response: Route.Response) {
	if (!response.headersSent && !response.writableEnded) sendError(response, 'internal_error');
}

/** Replaces plugin-api's `PluginRouteError` (same name): logs the route and error, answers 500 `internal_error` without the message. */
export class ApiRouteErrorListener extends Listener {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'PluginRouteError', emitter: 'server', event: ServerEvent.RouteError });
	}

	public run(error: unknown, request: Route.Request, response: Route.Response) {
		this.container.log.error({ err: error, route: request.route?.name, method: request.method }, 'API route failed');
		answer(response);
	}
}

/** Replaces plugin-api's `PluginServerMiddlewareError` (same name), with the same contract as the route error listener. */
export class ApiMiddlewareErrorListener extends Listener {
	public constructor(context: Listener.LoaderContext, options: Listener.Options) {
		super(context, { ...options, name: 'PluginServerMiddlewareError', emitter: 'server', event: ServerEvent.MiddlewareError });
	}

	public run(error: unknown, request: Route.Request, response: Route.Response) {
		this.container.log.error({ err: error, route: request.route?.name, method: request.method }, 'API middleware failed');
		answer(response);
	}
}
