import { Migration20261122170059 } from './Migration20261122170059.ts';
import { Migration20261122171500 } from './Migration20261122171500.ts';
import { Migration20261202050000_privacy } from './Migration20261202050000_privacy.ts';

// The mileage plugin's migrations, in order; its manifest declares them, so a build without the plugin never
// creates its tables. The core records each as `mileage/<name>`.
export const mileageMigrations = [
	{ name: 'Migration20261122170059', class: Migration20261122170059 },
	{ name: 'Migration20261122171500', class: Migration20261122171500 },
	{ name: 'Migration20261202050000_privacy', class: Migration20261202050000_privacy }
];
