import { Migration20261202020605 } from './Migration20261202020605.ts';

// The dailies plugin's migrations, in order; its manifest declares them, so a build without the plugin never
// creates its tables. The core records each as `dailies/<name>`.
export const dailiesMigrations = [{ name: 'Migration20261202020605', class: Migration20261202020605 }];
