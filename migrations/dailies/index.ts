import { Migration20261202020605 } from './Migration20261202020605.ts';
import { Migration20261202100000_posts } from './Migration20261202100000_posts.ts';

// The dailies plugin's migrations, in order; its manifest declares them, so a build without the plugin never
// creates its tables. The core records each as `dailies/<name>`. Feeds' tables come first, then daily posts'
// (the two sets are independent).
export const dailiesMigrations = [
	{ name: 'Migration20261202020605', class: Migration20261202020605 },
	{ name: 'Migration20261202100000_posts', class: Migration20261202100000_posts }
];
