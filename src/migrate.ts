// `npm run migrate`: the migration command's composition root. It names the built-in plugin list, as
// src/main.ts does, and the core assembles the same list (FACET_PLUGINS included) for both.
if (import.meta.url.endsWith('.ts')) process.env.TS_NODE_DEV ??= 'true';

const { runMigrateCommand } = await import('./core/database/migrate-command.ts');
const { plugins } = await import('./plugins/index.ts');
await runMigrateCommand(plugins);
