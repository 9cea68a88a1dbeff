#!/usr/bin/env bash
# Backs up Facet's PostgreSQL database as a pg_dump custom-format file, then prunes old ones.
#   DATABASE_URL=postgresql://… scripts/backup.sh [backup-dir]          back up, then prune
#   scripts/backup.sh --prune-only [backup-dir]                           prune only
# Files are named facet-YYYYMMDDTHHMMSSZ.dump (UTC). Retention works on those names, never on file times:
#   BACKUP_KEEP_DAILY (default 7)  the newest backup of each of the last N days that have one;
#   BACKUP_KEEP_WEEKLY (default 4) the newest backup of each of the last M ISO weeks that have one.
# A backup kept by either rule stays; everything else named facet-*.dump (and stale *.partial files) goes.
# pg_dump must be at least the server's major version (run it from the postgres image when in doubt).
# Restore: scripts/restore.sh <file> <database-url>.
set -euo pipefail
prune_only=0
if [ "${1:-}" = --prune-only ]; then prune_only=1; shift; fi
out_dir="${1:-./backups}"
keep_daily="${BACKUP_KEEP_DAILY:-7}"
keep_weekly="${BACKUP_KEEP_WEEKLY:-4}"
for value in "$keep_daily" "$keep_weekly"; do
	if ! [[ "$value" =~ ^[0-9]+$ ]]; then
		echo "backup.sh: BACKUP_KEEP_DAILY and BACKUP_KEEP_WEEKLY must be whole numbers" >&2
		exit 2
	fi
done
mkdir -p "$out_dir"

if [ "$prune_only" = 0 ]; then
	: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
	file="$out_dir/facet-$(date -u +%Y%m%dT%H%M%SZ).dump"
	# Written under another name and renamed when complete: a failed or interrupted dump is never a backup.
	pg_dump --format=custom --compress=6 --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$file.partial"
	# A dump pg_restore cannot read is a failed backup.
	pg_restore --list "$file.partial" >/dev/null
	mv "$file.partial" "$file"
	echo "$file"
fi

# Retention. Newest first; a day (YYYYMMDD) or ISO week (GGGG-Www) keeps its first (newest) file.
find "$out_dir" -maxdepth 1 -name 'facet-*.dump.partial' -mmin +60 -delete
mapfile -t backups < <(find "$out_dir" -maxdepth 1 -type f -regextype posix-extended \
	-regex '.*/facet-[0-9]{8}T[0-9]{6}Z\.dump' -printf '%f\n' | sort -r)
declare -A keep=() days=() weeks=()
for name in "${backups[@]}"; do
	stamp="${name#facet-}"
	day="${stamp:0:8}"
	week="$(date -u -d "${day:0:4}-${day:4:2}-${day:6:2}" +%G-W%V)"
	if [ -z "${days[$day]:-}" ] && [ "${#days[@]}" -lt "$keep_daily" ]; then
		days[$day]=1
		keep[$name]=1
	fi
	if [ -z "${weeks[$week]:-}" ] && [ "${#weeks[@]}" -lt "$keep_weekly" ]; then
		weeks[$week]=1
		keep[$name]=1
	fi
done
for name in "${backups[@]}"; do
	if [ -z "${keep[$name]:-}" ]; then
		rm -f -- "$out_dir/$name"
		echo "pruned $name" >&2
	fi
done
