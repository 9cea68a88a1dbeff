import { Migration } from '@mikro-orm/migrations';

export class Migration20261202020605 extends Migration {
	override name = 'Migration20261202020605';

	override up(): void | Promise<void> {
		this.addSql(
			`create table "dailies_delivery_log" ("id" bigserial primary key, "feed_id" int not null, "polled_at" timestamptz not null, "http_status" int null, "error" varchar(500) null, "found" int not null default 0, "posted" int not null default 0, "skipped" jsonb not null default '{}', "items" jsonb not null default '[]');`
		);
		this.addSql(`create index "dailies_delivery_log_feed_id_id_index" on "dailies_delivery_log" ("feed_id", "id");`);

		this.addSql(
			`create table "dailies_feed" ("id" serial primary key, "guild_id" varchar(20) not null, "url" varchar(2048) not null, "source" varchar(2048) null, "kind" text not null, "title" varchar(256) null, "channel_id" varchar(20) not null, "interval_seconds" int not null default 300, "etag" varchar(512) null, "last_modified" varchar(128) null, "next_poll_at" timestamptz not null default now(), "claimed_until" timestamptz null, "claim_token" varchar(36) null, "last_polled_at" timestamptz null, "last_success_at" timestamptz null, "consecutive_failures" int not null default 0, "last_error" varchar(500) null, "state" text not null default 'active', "paused_reason" varchar(500) null, "notice_message_id" varchar(20) null, "notice_channel_id" varchar(20) null, "template" varchar(2000) null, "format" text not null default 'embed', "include_keywords" jsonb not null default '[]', "exclude_keywords" jsonb not null default '[]', "catch_up" text not null default 'digest', "max_per_poll" int not null default 5, "primed" boolean not null default false, "created_by" varchar(20) null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`
		);
		this.addSql(`create index "dailies_feed_state_next_poll_at_index" on "dailies_feed" ("state", "next_poll_at");`);
		this.addSql(`alter table "dailies_feed" add constraint "dailies_feed_guild_id_url_unique" unique ("guild_id", "url");`);

		this.addSql(
			`create table "dailies_seen_item" ("id" bigserial primary key, "feed_id" int not null, "item_key" varchar(64) not null, "message_id" varchar(20) null, "seen_at" timestamptz not null default now());`
		);
		this.addSql(
			`alter table "dailies_seen_item" add constraint "dailies_seen_item_feed_id_item_key_unique" unique ("feed_id", "item_key");`
		);

		this.addSql(
			`alter table "dailies_feed" add constraint "dailies_feed_kind_check" check ("kind" in ('rss', 'atom', 'json', 'youtube'));`
		);
		this.addSql(
			`alter table "dailies_feed" add constraint "dailies_feed_state_check" check ("state" in ('active', 'paused_admin', 'paused_failures', 'paused_channel', 'removed'));`
		);
		this.addSql(`alter table "dailies_feed" add constraint "dailies_feed_format_check" check ("format" in ('embed', 'text'));`);
		this.addSql(`alter table "dailies_feed" add constraint "dailies_feed_catch_up_check" check ("catch_up" in ('digest', 'skip'));`);
	}

	override down(): void | Promise<void> {
		this.addSql(`drop table if exists "dailies_delivery_log" cascade;`);
		this.addSql(`drop table if exists "dailies_feed" cascade;`);
		this.addSql(`drop table if exists "dailies_seen_item" cascade;`);
	}
}
