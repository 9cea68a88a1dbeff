import { Migration } from '@mikro-orm/migrations';

export class Migration20261122164725 extends Migration {
	override name = 'Migration20261122164725';

	override up(): void | Promise<void> {
		this.addSql(
			`create table "core_audit_entry" ("id" bigserial primary key, "guild_id" varchar(20) not null, "actor_id" varchar(20) not null, "source" varchar(16) not null, "plugin" varchar(32) not null, "key" varchar(64) not null, "before" jsonb null, "after" jsonb null, "revert_of" bigint null, "created_at" timestamptz not null default now());`
		);
		this.addSql(`create index "core_audit_entry_guild_id_id_index" on "core_audit_entry" ("guild_id", "id");`);

		this.addSql(
			`create table "core_command_sync" ("scope" varchar(20) not null, "hash" varchar(64) not null, "synced_at" timestamptz not null default now(), primary key ("scope"));`
		);

		this.addSql(
			`create table "core_guild" ("id" varchar(20) not null, "name" varchar(100) not null, "joined_at" timestamptz not null default now(), "left_at" timestamptz null, "updated_at" timestamptz not null default now(), primary key ("id"));`
		);

		this.addSql(
			`create table "core_plugin_state" ("guild_id" varchar(20) not null, "plugin" varchar(32) not null, "enabled" boolean null, "settings" jsonb not null default '{}', "updated_at" timestamptz not null default now(), primary key ("guild_id", "plugin"));`
		);
	}

	override down(): void | Promise<void> {
		this.addSql(`drop table if exists "core_audit_entry" cascade;`);
		this.addSql(`drop table if exists "core_command_sync" cascade;`);
		this.addSql(`drop table if exists "core_guild" cascade;`);
		this.addSql(`drop table if exists "core_plugin_state" cascade;`);
	}
}
