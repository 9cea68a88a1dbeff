import { Middleware } from '@sapphire/plugin-api';
import { runSafely } from '../core/api/index.ts';
import { applyRateLimit } from '../core/api/pipeline.ts';

/** Per-session (else per-address) request limit counted in Redis; 429 with Retry-After past it. */
export class RateLimitMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'rateLimit', position: 14 });
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		return runSafely('rateLimit', response, () => applyRateLimit(request, response));
	}
}
