import { Migration } from '@mikro-orm/migrations';

// Members who hid themselves from the public leaderboard (`/mileage privacy`). A row means hidden; showing again
// deletes it, so the table only ever holds the (few) members who asked.
export class Migration20261202050000_privacy extends Migration {
	override name = 'Migration20261202050000_privacy';

	override up(): void | Promise<void> {
		this.addSql(
			`create table "mileage_privacy" ("guild_id" varchar(20) not null, "user_id" varchar(20) not null, "hidden_at" timestamptz not null default now(), primary key ("guild_id", "user_id"));`
		);
	}

	override down(): void | Promise<void> {
		this.addSql(`drop table if exists "mileage_privacy";`);
	}
}
