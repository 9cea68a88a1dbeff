// The intents, partials and caches of Facet's own client, read from its factory: what a bare reference client
// copies to be compared like for like. Loading this loads Facet's core modules.
import type { ClientOptions } from 'discord.js';
import { createClient } from '../../src/core/client.ts';
import { parseEnv } from '../../src/core/env.ts';
import { createLogger } from '../../src/core/logger.ts';

export function facetClientOptions(emulatorUrl: string): Pick<ClientOptions, 'intents' | 'partials' | 'makeCache'> {
	const env = parseEnv({ EMULATOR_URL: emulatorUrl, LOG_LEVEL: 'silent' });
	const { intents, partials, makeCache } = createClient(
		env,
		createLogger({ level: 'silent', format: 'json' }),
		{ restUrl: `${emulatorUrl}/api` },
		[]
	).options;
	return { intents, partials, makeCache };
}

let intentsEnv: Record<string, string> | undefined;

/**
 * The same as environment variables for a bare target with default caches (BENCH_INTENTS, BENCH_PARTIALS). Read
 * once per process: Facet's factory takes Sapphire's own command registration out, which can happen only once.
 */
export function facetIntentsEnv(): Record<string, string> {
	if (!intentsEnv) {
		const { intents, partials } = facetClientOptions('http://127.0.0.1:1');
		intentsEnv = {
			BENCH_INTENTS: String(Number((intents as { bitfield: number }).bitfield ?? intents)),
			BENCH_PARTIALS: JSON.stringify(partials ?? [])
		};
	}
	return intentsEnv;
}
