// `npm run dev`: the same start as `npm start` (sandbox without DISCORD_TOKEN, Discord with one), plus hot
// reload of pieces. Order matters: Sapphire must see TS_NODE_DEV when it is first imported, and the module graph
// must be installed before the modules it tracks are imported.
if (process.env.NODE_ENV === 'production') {
	process.stderr.write('npm run dev is for development: hot reload is never enabled with NODE_ENV=production. Use npm start.\n');
	process.exit(2);
}
process.env.TS_NODE_DEV ??= 'true';

// The dashboard's Vite dev server (hot module reload) proxies the API paths to the bot, so the browser sees one
// origin: logins land there, and the bot trusts it for CORS and writes. DASHBOARD_DEV=0 leaves Vite out.
if (process.env.DASHBOARD_DEV !== '0') {
	const port = process.env.DASHBOARD_DEV_PORT ?? '5173';
	process.env.DASHBOARD_ORIGIN ??= `http://localhost:${port}`;
	// Vite serves the sources: no need to build dashboard/dist on every restart.
	process.env.DASHBOARD_BUILD ??= 'false';
	const { startDashboardDevServer } = await import('./dashboard-dev.ts');
	await startDashboardDevServer(port);
}

const { appRoot } = await import('../src/core/paths.ts');
const { installModuleGraph } = await import('../src/core/dev/module-graph.ts');
installModuleGraph(appRoot);
const { enableHotReload } = await import('../src/core/dev/hmr.ts');
enableHotReload();
await import('../src/main.ts');
