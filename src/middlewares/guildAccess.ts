import { Middleware } from '@sapphire/plugin-api';
import { runSafely } from '../core/api/index.ts';
import { applyGuildAccess } from '../core/api/pipeline.ts';

/** Checks every `[guild]` route before it runs (401/403/404), so a route that forgets its guard is still guarded. */
export class GuildAccessMiddleware extends Middleware {
	public constructor(context: Middleware.LoaderContext, options: Middleware.Options) {
		super(context, { ...options, name: 'guildAccess', position: 16 });
	}

	public run(request: Middleware.Request, response: Middleware.Response) {
		return runSafely('guildAccess', response, () => applyGuildAccess(request, response));
	}
}
