import { Migration20261202100000_posts } from './Migration20261202100000_posts.ts';

// The dailies plugin's migrations, in order; its manifest declares them. The core records each as `dailies/<name>`.
export const dailiesMigrations: { name: string; class: new (...args: never[]) => unknown }[] = [
	{ name: 'Migration20261202100000_posts', class: Migration20261202100000_posts }
];
