import type { SapphireClient } from '@sapphire/framework';
import type { APIRequest } from 'discord.js';
import type { Emulator } from '../../src/sandbox/index.ts';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` every 50 ms until `ok` accepts its value or `timeoutMs` passes; returns the last value either way. */
export async function waitUntil<T>(fn: () => Promise<T> | T, ok: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (ok(value) || Date.now() > deadline) return value;
		await sleep(50);
	}
}

/** What the control API answers: the bot's visible reply for interactions, or the created object, or an error. */
export interface ControlReply {
	content?: string;
	embeds?: { title?: string; description?: string; footer?: { text: string } }[];
	components?: { components: { custom_id: string; label: string; disabled?: boolean }[] }[];
	ephemeral?: boolean;
	message_id?: string;
	choices?: { name: string; value: unknown }[];
	error?: string;
}

/** A control API answer with its status. */
export interface ControlResult {
	status: number;
	body: ControlReply & Record<string, unknown>;
}

/** One JSON request to the emulator's control API (`/_emulator/...`). */
export async function controlRequest(emulator: Emulator, method: string, path: string, body?: unknown): Promise<ControlResult> {
	const response = await fetch(`${emulator.baseUrl}${path}`, {
		method,
		headers: { 'content-type': 'application/json' },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	return { status: response.status, body: (await response.json()) as ControlResult['body'] };
}

/** Where and as whom {@link interact} runs a slash command; guild and channel default to the seed's #general. */
export interface Invocation {
	user: string;
	command: string;
	options?: Record<string, unknown>;
	guildId?: string;
	channelId?: string;
}

/** Runs a slash command through the control API, as a member would; the answer is the bot's visible reply. */
export function interact(emulator: Emulator, { user, command, options, guildId, channelId }: Invocation): Promise<ControlResult> {
	return controlRequest(emulator, 'POST', '/_emulator/interactions', {
		guild_id: guildId ?? emulator.seed.guildId,
		channel_id: channelId ?? emulator.seed.channels.general,
		user_id: user,
		command,
		options
	});
}

/** Collects every content the bot sets by editing `@original` (progress and final answers of deferred replies). */
export function recordOriginalEdits(client: SapphireClient): string[] {
	const edits: string[] = [];
	client.rest.on('response', (request: APIRequest) => {
		const body = request.data.body as { content?: string } | undefined;
		if (request.method === 'PATCH' && /\/messages\/(@|%40)original$/.test(request.path) && typeof body?.content === 'string') {
			edits.push(body.content);
		}
	});
	return edits;
}

/**
 * Runs `fn` while a server admin has opened the top-level command `name` to `@everyone` in the server's integration
 * settings (Discord's command permission overrides), so Discord offers it to members without its
 * `default_member_permissions`: what it takes to reach the bot's own permission check. The override is removed after.
 */
export async function withCommandOpenToEveryone<T>(
	emulator: Emulator,
	name: string,
	fn: () => Promise<T>,
	guildId = emulator.seed.guildId
) {
	emulator.setCommandPermissions(guildId, name, { permissions: [{ id: guildId, type: 1, permission: true }] });
	try {
		return await fn();
	} finally {
		emulator.setCommandPermissions(guildId, name, { permissions: [] });
	}
}
