import { Route } from '@sapphire/plugin-api';
import type { TimeZonesAnswer } from '../core/api/contract.ts';
import { requireSession, runSafely } from '../core/api/index.ts';

// The runtime's own list: exactly the zones the server's settings validation (Intl) accepts.
const zones: string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];

/** `GET /time-zones`: the IANA time zones the server accepts, UTC first (for the dashboard's time-zone pickers). */
export class TimeZonesRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreTimeZones', route: 'time-zones', methods: ['GET'] });
	}

	public run(request: Route.Request, response: Route.Response) {
		return runSafely('time-zones', response, async () => {
			if (!(await requireSession(request, response))) return;
			response.json({ timeZones: zones } satisfies TimeZonesAnswer);
		});
	}
}
