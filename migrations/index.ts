import { Migration20261122164725 } from './Migration20261122164725.ts';

// Every migration, in order. Listed explicitly so the built output needs no file globbing.
export const migrationsList = [{ name: 'Migration20261122164725', class: Migration20261122164725 }];
