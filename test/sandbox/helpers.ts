import type { ClientOptions } from 'discord.js';
import { Client, GatewayIntentBits } from 'discord.js';
import type { EmulatorOptions } from '../../src/sandbox/index.ts';
import { Emulator } from '../../src/sandbox/index.ts';

/** Every intent the sandbox supports, what Facet itself identifies with. */
export const ALL_INTENTS = [
	GatewayIntentBits.Guilds,
	GatewayIntentBits.GuildMembers,
	GatewayIntentBits.GuildMessages,
	GatewayIntentBits.GuildMessageReactions,
	GatewayIntentBits.GuildVoiceStates,
	GatewayIntentBits.MessageContent
];

/** A started emulator; remember to stop it. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	const emulator = new Emulator(options);
	await emulator.start();
	return emulator;
}

/** A stock discord.js client pointed at the emulator, logged in and ready (guilds cached). */
export async function connectClient(emulator: Emulator, options: Partial<ClientOptions> = {}): Promise<Client<true>> {
	const client = new Client({ intents: ALL_INTENTS, rest: { api: emulator.restUrl }, ...options });
	const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
	await client.login(emulator.botToken);
	await ready;
	return client as Client<true>;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** JSON fetch against the emulator. */
export async function call(
	emulator: Emulator,
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = {}
): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
	const init: RequestInit = { method, headers: { ...headers }, redirect: 'manual' };
	if (body !== undefined) {
		init.body = typeof body === 'string' ? body : JSON.stringify(body);
		(init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
	}
	const res = await fetch(`${emulator.baseUrl}${path}`, init);
	const text = await res.text();
	let parsed: unknown;
	try {
		parsed = text ? JSON.parse(text) : undefined;
	} catch {
		parsed = undefined;
	}
	return { status: res.status, body: parsed, text, headers: res.headers };
}
