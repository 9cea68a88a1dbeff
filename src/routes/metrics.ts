import { Route } from '@sapphire/plugin-api';
import { metricsAnswer } from '../core/ops.ts';

/** `GET /metrics`: Prometheus text format. With `METRICS_TOKEN` set, only `Authorization: Bearer <token>` gets in. */
export class MetricsRoute extends Route {
	public constructor(context: Route.LoaderContext, options: Route.Options) {
		super(context, { ...options, name: 'coreMetrics', route: 'metrics', methods: ['GET'] });
	}

	public async run(request: Route.Request, response: Route.Response) {
		const answer = await metricsAnswer(this.container.env.METRICS_TOKEN, request.headers.authorization);
		response.status(answer.status);
		response.setHeader('content-type', answer.contentType);
		response.end(answer.body);
	}
}
