import { Migration20261122164725 } from './Migration20261122164725.ts';
import { Migration20261202020000 } from './Migration20261202020000.ts';

// The core's migrations, in order. Listed explicitly so the built output needs no file globbing. The core
// records each as `core/<name>`.
export const coreMigrations = [
	{ name: 'Migration20261122164725', class: Migration20261122164725 },
	{ name: 'Migration20261202020000', class: Migration20261202020000 }
];
