import { Middleware } from '@sapphire/plugin-api';
import { runSafely } from '../core/api/index.ts';
import { applyBody } from '../core/api/pipeline.ts';

/** Replaces plugin-api's `body` middleware (same name), which trusted Content-Length: counts bytes, 413 past the limit. */
export class BodyMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'body', position: 20 });
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		return runSafely('body', response, () => applyBody(request, response));
	}
}
