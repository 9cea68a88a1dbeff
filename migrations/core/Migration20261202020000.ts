import { Migration } from '@mikro-orm/migrations';

// Plugin state is written per key under a row lock; each write bumps the row's version so every process' cache can
// tell a newer state from an older one that arrived later (two writes' answers, or a reload and a write, can cross).
export class Migration20261202020000 extends Migration {
	override name = 'Migration20261202020000';

	override up(): void | Promise<void> {
		this.addSql(`alter table "core_plugin_state" add column "version" bigint not null default 0;`);
	}

	override down(): void | Promise<void> {
		this.addSql(`alter table "core_plugin_state" drop column "version";`);
	}
}
