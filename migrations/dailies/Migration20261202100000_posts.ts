import { Migration } from '@mikro-orm/migrations';

// Daily posts and their runs. A run is unique per (post, local date): workers claim it with
// `insert … on conflict do nothing` before sending, which is what makes a post go out once per local day.
export class Migration20261202100000_posts extends Migration {
	override name = 'Migration20261202100000_posts';

	override up(): void | Promise<void> {
		this.addSql(
			`create table "dailies_post" ("id" serial primary key, "guild_id" varchar(20) not null, "channel_id" varchar(20) null, "minute_of_day" smallint not null, "weekdays" smallint not null, "time_zone" varchar(64) null, "message" text null, "prompts" jsonb null, "rotation_order" jsonb null, "rotation_position" int not null default 0, "missed_policy" varchar(8) not null default 'late', "grace_minutes" int not null default 120, "enabled" boolean not null default true, "active_since" timestamptz not null, "created_by" varchar(20) null, "created_at" timestamptz not null default now(), constraint "dailies_post_body_check" check (("message" is null) <> ("prompts" is null)));`
		);
		this.addSql(`create index "dailies_post_guild_id_index" on "dailies_post" ("guild_id");`);
		this.addSql(
			`create table "dailies_post_run" ("id" bigserial primary key, "post_id" int not null, "guild_id" varchar(20) not null, "local_date" varchar(10) not null, "scheduled_at" timestamptz not null, "status" varchar(8) not null, "channel_id" varchar(20) null, "message_id" varchar(20) null, "nonce" varchar(25) not null, "prompt_index" int null, "reason" varchar(300) null, "attempts" int not null default 0, "claimed_at" timestamptz null, "lease_until" timestamptz null, "finished_at" timestamptz null, constraint "dailies_post_run_status_check" check ("status" in ('sending', 'posted', 'late', 'skipped')));`
		);
		this.addSql(
			`alter table "dailies_post_run" add constraint "dailies_post_run_post_id_local_date_unique" unique ("post_id", "local_date");`
		);
		this.addSql(
			`alter table "dailies_post_run" add constraint "dailies_post_run_post_id_foreign" foreign key ("post_id") references "dailies_post" ("id") on delete cascade;`
		);
	}

	override down(): void | Promise<void> {
		this.addSql(`drop table if exists "dailies_post_run" cascade;`);
		this.addSql(`drop table if exists "dailies_post" cascade;`);
	}
}
