import { Migration } from '@mikro-orm/migrations';

export class Migration20261122164254 extends Migration {

  override name = 'Migration20261122164254';

  override up(): void | Promise<void> {
    this.addSql(`create table "core_guild" ("id" varchar(20) not null, "name" varchar(100) not null, "joined_at" timestamptz not null default now(), "left_at" timestamptz null, "updated_at" timestamptz not null default now(), primary key ("id"));`);
  }

}
