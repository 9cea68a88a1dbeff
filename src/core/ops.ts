import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from './health.ts';
import { metrics } from './metrics.ts';

/** An answer of an operations endpoint, the same whether the API or the ops port serves it. */
export interface OpsAnswer {
	status: number;
	contentType: string;
	body: string;
}

function sameSecret(given: string, expected: string): boolean {
	const a = Buffer.from(given);
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

const json = (status: number, value: unknown): OpsAnswer => ({
	status,
	contentType: 'application/json; charset=utf-8',
	body: JSON.stringify(value)
});

/** `/livez`: the process is up and its event loop answers. */
export const livez = (): OpsAnswer => json(200, { status: 'ok' });

/** `/readyz`: 200 when every probe answers, 503 naming what is down. */
export async function readyz(health: Health): Promise<OpsAnswer> {
	const readiness = await health.readiness();
	return json(readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'not_ready', ...readiness });
}

/** `/metrics`: Prometheus text; with a token set, only `Authorization: Bearer <token>` gets in. */
export async function metricsAnswer(token: string | undefined, authorization: string | undefined): Promise<OpsAnswer> {
	if (token && !sameSecret(authorization ?? '', `Bearer ${token}`)) return json(401, { error: 'unauthorized' });
	const { contentType, body } = await metrics.render();
	return { status: 200, contentType, body };
}

/** A running ops server. */
export interface OpsServer {
	port: number;
	close(): Promise<void>;
}

/**
 * Serves `/livez`, `/readyz` and `/metrics` on their own port (every role has one; the `bot` and `worker` roles
 * bind no other). Anything else is 404; only GET and HEAD.
 */
export async function startOpsServer(options: { port: number; host: string; health: Health; metricsToken?: string }): Promise<OpsServer> {
	const server: Server = createServer((request, response) => {
		const path = (request.url ?? '/').split('?')[0];
		const answer = async (): Promise<OpsAnswer> => {
			if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'method_not_allowed' });
			if (path === '/livez') return livez();
			if (path === '/readyz') return readyz(options.health);
			if (path === '/metrics') return metricsAnswer(options.metricsToken, request.headers.authorization);
			return json(404, { error: 'not_found' });
		};
		answer().then(
			(result) => {
				response.writeHead(result.status, { 'content-type': result.contentType, 'cache-control': 'no-store' });
				response.end(request.method === 'HEAD' ? undefined : result.body);
			},
			() => {
				response.writeHead(500, { 'content-type': 'application/json' });
				response.end('{"error":"internal"}');
			}
		);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host, () => resolve());
	});
	return {
		port: (server.address() as AddressInfo).port,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			})
	};
}
