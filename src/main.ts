// Entry point. Sapphire decides at import time whether it may load `.ts` pieces, and it does not know
// Node's own type stripping: say so before anything imports it.
if (import.meta.url.endsWith('.ts')) process.env.TS_NODE_DEV ??= 'true';

const { run } = await import('./core/run.ts');
await run();
