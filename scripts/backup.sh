#!/usr/bin/env bash
# Backs up Facet's PostgreSQL database to a compressed, timestamped custom-format dump.
#   DATABASE_URL=postgresql://… scripts/backup.sh [output-dir]
# Restore: pg_restore --clean --if-exists -d "$DATABASE_URL" <file>
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
out_dir="${1:-./backups}"
mkdir -p "$out_dir"
file="$out_dir/facet-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$file.partial"
mv "$file.partial" "$file"
echo "$file"
