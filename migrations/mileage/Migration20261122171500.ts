import { Migration } from '@mikro-orm/migrations';

// The leaderboard orders by points descending then user id ascending; an index in that exact order lets any
// page be read by walking the index (the earlier all-ascending index made Postgres sort 100k rows per page).
export class Migration20261122171500 extends Migration {
	override name = 'Migration20261122171500';

	override up(): void | Promise<void> {
		this.addSql(`drop index if exists "mileage_total_leaderboard_index";`);
		this.addSql(`create index "mileage_total_leaderboard_index" on "mileage_total" ("guild_id", "points" desc, "user_id");`);
	}

	override down(): void | Promise<void> {
		this.addSql(`drop index if exists "mileage_total_leaderboard_index";`);
		this.addSql(`create index "mileage_total_leaderboard_index" on "mileage_total" ("guild_id", "points", "user_id");`);
	}
}
