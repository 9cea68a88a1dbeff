import { Middleware } from '@sapphire/plugin-api';
import { runSafely } from '../core/api/index.ts';
import { applySession } from '../core/api/pipeline.ts';

/** Replaces plugin-api's `auth` middleware (same name): resolves the sealed session cookie to a Redis session. */
export class AuthMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'auth', position: 12 });
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		return runSafely('auth', response, () => applySession(request));
	}
}
