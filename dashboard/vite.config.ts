import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** The bot's own sources: the dashboard may import their types, never their code. */
const serverSources = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Fails the build when a module under `src/` would be bundled. API types come from the server's contract modules
 * through `import type`, which the compiler erases; a value import would drag server code into the browser.
 */
function noServerModules(): Plugin {
	return {
		name: 'facet-no-server-modules',
		enforce: 'pre',
		load(id) {
			if (id.startsWith(serverSources)) this.error(`server module ${id} would be bundled: import API types with \`import type\``);
			return null;
		}
	};
}

/** First path segments of the API (proxied by `vite` in development; the dashboard's own routes avoid them). */
export const API_PREFIXES = ['/oauth', '/users', '/guilds', '/mileage', '/dailies', '/time-zones', '/livez', '/readyz'];

const api = process.env.FACET_API_URL ?? 'http://localhost:8787';

export default defineConfig({
	plugins: [react(), noServerModules()],
	build: { target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 800 },
	server: {
		port: Number(process.env.DASHBOARD_DEV_PORT ?? 5173),
		strictPort: true,
		proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: api, changeOrigin: false }]))
	}
});
