import type { IncomingMessage } from 'node:http';

/** Bytes past the limit read and discarded before the connection is cut. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/** How a body read ended. */
export type BodyReadResult = { ok: true; bytes: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads a request body, counting bytes as they arrive: a chunked body (no Content-Length) is cut off
 * at `limit` like any other, and nothing past it is buffered.
 */
export function readLimitedBody(request: IncomingMessage, limit: number): Promise<BodyReadResult> {
	return new Promise((resolve) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let settled = false;
		const finish = (result: BodyReadResult) => {
			if (settled) return;
			settled = true;
			request.off('data', onData);
			request.off('end', onEnd);
			request.off('error', onError);
			request.off('aborted', onAborted);
			if (!result.ok) {
				// Stop buffering. Drain a little more so the client can read our answer, then hang up on a flood.
				let discarded = 0;
				request.on('data', (chunk: Buffer) => {
					discarded += chunk.length;
					if (discarded > DRAIN_LIMIT_BYTES) request.destroy();
				});
				request.on('error', () => undefined);
			}
			resolve(result);
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) return finish({ ok: false, reason: 'too_large' });
			chunks.push(chunk);
		};
		const onEnd = () => finish({ ok: true, bytes: Buffer.concat(chunks, size) });
		const onError = () => finish({ ok: false, reason: 'aborted' });
		const onAborted = () => finish({ ok: false, reason: 'aborted' });
		request.on('data', onData);
		request.once('end', onEnd);
		request.once('error', onError);
		request.once('aborted', onAborted);
	});
}

/** True when the request announces a body (a positive Content-Length or any Transfer-Encoding). */
export function hasBody(request: IncomingMessage): boolean {
	const length = request.headers['content-length'];
	if (length !== undefined && Number(length) > 0) return true;
	return request.headers['transfer-encoding'] !== undefined;
}

/** The declared Content-Length, or `null` when absent or not a number. */
export function declaredLength(request: IncomingMessage): number | null {
	const length = request.headers['content-length'];
	if (length === undefined) return null;
	const value = Number(length);
	return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Media type of the body without parameters, lower-cased (`application/json`), or `''`. */
export function mediaType(request: IncomingMessage): string {
	const type = request.headers['content-type'];
	return typeof type === 'string' ? (type.split(';')[0] ?? '').trim().toLowerCase() : '';
}

/** `application/json` and `application/*+json`. */
export function isJsonType(type: string): boolean {
	return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
