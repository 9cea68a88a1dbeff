import { Migration20261122164725 } from './Migration20261122164725.ts';
import { Migration20261122170059 } from './Migration20261122170059.ts';
import { Migration20261122171500 } from './Migration20261122171500.ts';
import { Migration20261202020000 } from './Migration20261202020000.ts';

// Every migration, in order. Listed explicitly so the built output needs no file globbing.
export const migrationsList = [
	{ name: 'Migration20261122164725', class: Migration20261122164725 },
	{ name: 'Migration20261122170059', class: Migration20261122170059 },
	{ name: 'Migration20261122171500', class: Migration20261122171500 },
	{ name: 'Migration20261202020000', class: Migration20261202020000 }
];
