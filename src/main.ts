// The composition root: the only code that names the plugin list and the sandbox. The core receives both as
// parameters. With a token the emulator's modules are never loaded.
//
// Sapphire decides at import time whether it may load `.ts` pieces, and it does not know Node's own type
// stripping: say so before anything imports it.
if (import.meta.url.endsWith('.ts')) process.env.TS_NODE_DEV ??= 'true';

const { run } = await import('./core/run.ts');
const { tokenTarget } = await import('./core/target.ts');
const { plugins } = await import('./plugins/index.ts');

await run({
	plugins,
	discord: async (context) => {
		if (context.env.DISCORD_TOKEN) return tokenTarget(context.env);
		const { startSandboxTarget } = await import('./sandbox/target.ts');
		return startSandboxTarget(context);
	}
});
