import { type FacetHandle, startFacet } from '../../src/core/boot.ts';
import type { Env } from '../../src/core/env.ts';
import type { PluginManifest } from '../../src/core/plugins/manifest.ts';
import { plugins as builtInPlugins } from '../../src/plugins/index.ts';
import type { Emulator } from '../../src/sandbox/index.ts';
import { type SandboxTarget, startSandboxTarget } from '../../src/sandbox/target.ts';

/** A bot started in this process the way src/main.ts starts it without a token, with its emulator at hand. */
export type SandboxFacet = FacetHandle<SandboxTarget> & { emulator: Emulator };

/**
 * Composes Facet as the sandbox's composition root does (built-in plugins unless given, the sandbox as the
 * Discord target) and starts it in this process.
 */
export async function startSandboxFacet(options: {
	env: Env;
	logger: Parameters<typeof startFacet>[0]['logger'];
	plugins?: readonly PluginManifest[];
}): Promise<SandboxFacet> {
	const handle = await startFacet({
		env: options.env,
		logger: options.logger,
		plugins: options.plugins ?? builtInPlugins,
		discord: (context) => startSandboxTarget(context)
	});
	return Object.assign(handle, { emulator: handle.target.emulator! });
}
