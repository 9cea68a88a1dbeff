import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts'],
		testTimeout: 60_000,
		hookTimeout: 60_000,
		pool: 'forks',
		fileParallelism: true,
		maxWorkers: 2,
		server: {
			deps: {
				// Load the application natively (Node strips the types), as Sapphire loads its pieces. Otherwise a
				// module imported by both a test and a piece exists twice — vitest's copy and Node's — and the ORM
				// knows only one of the two copies of an entity.
				external: [/\/src\//, /\/migrations\//, /\/test\/fixtures\//]
			}
		}
	}
});
