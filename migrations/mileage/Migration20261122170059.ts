import { Migration } from '@mikro-orm/migrations';

export class Migration20261122170059 extends Migration {
	override name = 'Migration20261122170059';

	override up(): void | Promise<void> {
		this.addSql(
			`create table "mileage_event" ("id" bigserial primary key, "guild_id" varchar(20) not null, "user_id" varchar(20) not null, "delta" bigint not null, "reason" text not null, "actor_id" varchar(20) null, "note" varchar(200) null, "reverses_event_id" bigint null, "batch_id" uuid null, "created_at" timestamptz not null default now());`
		);
		this.addSql(`alter table "mileage_event" add constraint "mileage_event_reverses_event_id_unique" unique ("reverses_event_id");`);
		this.addSql(`create index "mileage_event_guild_id_user_id_id_index" on "mileage_event" ("guild_id", "user_id", "id");`);
		this.addSql(`create index "mileage_event_guild_id_created_at_index" on "mileage_event" ("guild_id", "created_at");`);

		this.addSql(
			`create table "mileage_flush" ("batch_id" uuid not null, "rows" int not null, "applied_at" timestamptz not null default now(), primary key ("batch_id"));`
		);

		this.addSql(
			`create table "mileage_tier" ("id" serial primary key, "guild_id" varchar(20) not null, "name" varchar(50) not null, "threshold" bigint not null, "role_id" varchar(20) not null, "problem" varchar(200) null, "created_at" timestamptz not null default now());`
		);
		this.addSql(`alter table "mileage_tier" add constraint "mileage_tier_guild_id_threshold_unique" unique ("guild_id", "threshold");`);
		this.addSql(`alter table "mileage_tier" add constraint "mileage_tier_guild_id_role_id_unique" unique ("guild_id", "role_id");`);

		this.addSql(
			`create table "mileage_total" ("guild_id" varchar(20) not null, "user_id" varchar(20) not null, "points" bigint not null default '0', "updated_at" timestamptz not null default now(), primary key ("guild_id", "user_id"));`
		);
		this.addSql(`create index "mileage_total_leaderboard_index" on "mileage_total" ("guild_id", "points", "user_id");`);

		this.addSql(
			`create table "mileage_voice_session" ("guild_id" varchar(20) not null, "user_id" varchar(20) not null, "channel_id" varchar(20) not null, "credited_until" timestamptz not null, "remainder_ms" int not null default 0, primary key ("guild_id", "user_id"));`
		);

		this.addSql(
			`alter table "mileage_event" add constraint "mileage_event_reason_check" check ("reason" in ('message', 'reaction', 'join', 'voice', 'adjust', 'reversal', 'import'));`
		);
	}

	override down(): void | Promise<void> {
		this.addSql(`drop table if exists "mileage_event" cascade;`);
		this.addSql(`drop table if exists "mileage_flush" cascade;`);
		this.addSql(`drop table if exists "mileage_tier" cascade;`);
		this.addSql(`drop table if exists "mileage_total" cascade;`);
		this.addSql(`drop table if exists "mileage_voice_session" cascade;`);
	}
}
