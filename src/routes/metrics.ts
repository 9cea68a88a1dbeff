import { timingSafeEqual } from 'node:crypto';
import { Route } from '@sapphire/plugin-api';
import { collectDefaultMetrics, register } from 'prom-client';

collectDefaultMetrics({ prefix: 'facet_' });

function sameSecret(given: string, expected: string): boolean {
	const a = Buffer.from(given);
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** `GET /metrics`: Prometheus text format. With `METRICS_TOKEN` set, only `Authorization: Bearer <token>` gets in. */
export class MetricsRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreMetrics', route: 'metrics', methods: ['GET'] });
	}

	public async run(request: Route.Request, response: Route.Response) {
		const token = this.container.env.METRICS_TOKEN;
		if (token && !sameSecret(request.headers.authorization ?? '', `Bearer ${token}`)) {
			return response.status(401).json({ error: 'unauthorized' });
		}
		response.setHeader('content-type', register.contentType);
		response.end(await register.metrics());
	}
}
