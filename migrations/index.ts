import { Migration20261122164254 } from './Migration20261122164254.ts';

// Every migration, in order. Listed explicitly so the built output needs no file globbing.
export const migrationsList = [{ name: 'Migration20261122164254', class: Migration20261122164254 }];
