import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest body the emulator reads; Discord's own upload limit for bots without boosts. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** A file part of a multipart body. */
export interface UploadedFile {
	field: string;
	filename: string;
	contentType: string | undefined;
	size: number;
}

/** A parsed request body: `json` for JSON, form and multipart `payload_json`, plus uploaded files. */
export interface ParsedBody {
	/** `undefined` when the body was empty. */
	json: unknown;
	files: UploadedFile[];
	/** True when the body could not be parsed (bad JSON, bad multipart). */
	malformed: boolean;
}

/** Error thrown when a body is larger than {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {}

/** Reads the whole request body. */
export async function readRaw(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('body too large');
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

/** Parses JSON, urlencoded forms and multipart bodies (reading discord.js's `payload_json` part). */
export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
	if (raw.length === 0) return { json: undefined, files: [], malformed: false };
	const type = (contentType ?? '').toLowerCase();
	try {
		if (type.startsWith('multipart/form-data')) return parseMultipart(raw, contentType ?? '');
		if (type.startsWith('application/x-www-form-urlencoded')) {
			return { json: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))), files: [], malformed: false };
		}
		return { json: JSON.parse(raw.toString('utf8')), files: [], malformed: false };
	} catch {
		return { json: undefined, files: [], malformed: true };
	}
}

function parseMultipart(raw: Buffer, contentType: string): ParsedBody {
	const boundaryMatch = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
	const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2];
	if (!boundary) return { json: undefined, files: [], malformed: true };
	const delimiter = Buffer.from(`--${boundary}`);
	const files: UploadedFile[] = [];
	const fields: Record<string, string> = {};
	let start = raw.indexOf(delimiter);
	while (start !== -1) {
		const partStart = start + delimiter.length;
		// "--" right after the delimiter closes the body.
		if (raw.subarray(partStart, partStart + 2).toString() === '--') break;
		const next = raw.indexOf(delimiter, partStart);
		if (next === -1) break;
		const part = raw.subarray(partStart + 2, next - 2); // skip CRLF after the delimiter and before the next one
		const headerEnd = part.indexOf('\r\n\r\n');
		if (headerEnd !== -1) {
			const headers = part.subarray(0, headerEnd).toString('utf8');
			const body = part.subarray(headerEnd + 4);
			const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
			const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
			const partType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
			if (filename !== undefined) files.push({ field: name, filename, contentType: partType, size: body.length });
			else fields[name] = body.toString('utf8');
		}
		start = next;
	}
	const payload = fields.payload_json;
	const json = payload === undefined ? { ...fields } : JSON.parse(payload);
	return { json, files, malformed: false };
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
	res.end(text);
}

/** Writes an empty response (204 and redirects). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
	res.writeHead(status, headers);
	res.end();
}
