#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a named database:
#   scripts/restore.sh <backup-file> <database-url> [--replace]
# The database must exist (createdb, or the compose postgres's own). It must be empty unless --replace is given,
# which drops every object the backup contains first. The restore is one transaction: on any error nothing is
# left half-restored. Afterwards run `node dist/migrate.js` only if the code is newer than the backup's schema.
set -euo pipefail
file="${1:?usage: restore.sh <backup-file> <database-url> [--replace]}"
target="${2:?usage: restore.sh <backup-file> <database-url> [--replace]}"
replace="${3:-}"
if [ -n "$replace" ] && [ "$replace" != --replace ]; then
	echo "restore.sh: unknown option $replace (only --replace)" >&2
	exit 2
fi
if [ ! -r "$file" ]; then
	echo "restore.sh: $file is not a readable file" >&2
	exit 2
fi
pg_restore --list "$file" >/dev/null
tables="$(psql --dbname="$target" --no-psqlrc --tuples-only --no-align --quiet \
	--command="select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')")"
options=(--no-owner --no-privileges --exit-on-error --single-transaction)
if [ "$tables" != 0 ]; then
	if [ "$replace" != --replace ]; then
		echo "restore.sh: the target database has $tables table(s); pass --replace to drop what the backup contains first" >&2
		exit 1
	fi
	options+=(--clean --if-exists)
fi
pg_restore "${options[@]}" --dbname="$target" "$file"
echo "restored $(basename "$file") ($tables table(s) were there before)"
