#!/usr/bin/env bash
# Runs pgsnap and pg_dump side by side on one database and prints times, sizes and ratios.
#
#   benches/vs_pg_dump.sh "host=/tmp port=5433 user=postgres dbname=bench" [JOBS]
#
# Needs a release build (cargo build --release) and pg_dump/pg_restore on PATH or in
# PG_BINDIR. Restores go into fresh databases named <db>_pgsnap and <db>_pgdump, which
# are dropped afterwards.
set -euo pipefail
conn=${1:?usage: $0 CONNINFO [JOBS]}
jobs=${2:-2}
bin=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
pgsnap=${PGSNAP:-$(dirname "$0")/../target/release/pgsnap}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
db=$("$bin/psql" -X -At -d "$conn" -c 'select current_database()')
other() { echo "$conn" | sed -E "s/dbname=[^ ]+/dbname=$1/"; }
now() { date +%s.%N; }
t() { local s; s=$(now); "$@" >/dev/null; awk -v a="$(now)" -v b="$s" 'BEGIN { print a - b }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }

size() { stat -c %s "$1"; }
psnap_b=$(t "$pgsnap" -q backup -d "$conn" -f "$work/a.pgsnap" -j "$jobs")
pgd_b=$(t "$bin/pg_dump" -d "$conn" -Fc -f "$work/a.dump")
pgd_dir=$(t "$bin/pg_dump" -d "$conn" -Fd -j "$jobs" -f "$work/a.dir")
"$bin/psql" -X -q -d "$conn" -c "drop database if exists ${db}_pgsnap" -c "drop database if exists ${db}_pgdump"
psnap_r=$(t "$pgsnap" -q restore -d "$(other "${db}_pgsnap")" --create -j "$jobs" "$work/a.pgsnap")
"$bin/psql" -X -q -d "$conn" -c "create database ${db}_pgdump"
pgd_r=$(t "$bin/pg_restore" -d "$(other "${db}_pgdump")" -j "$jobs" "$work/a.dump")
"$bin/psql" -X -q -d "$conn" -c "drop database ${db}_pgsnap" -c "drop database ${db}_pgdump"

printf '%-28s %10s %14s\n' "" "seconds" "bytes"
printf '%-28s %10.2f %14d\n' "pgsnap backup -j $jobs" "$psnap_b" "$(size "$work/a.pgsnap")"
printf '%-28s %10.2f %14d\n' "pg_dump -Fc" "$pgd_b" "$(size "$work/a.dump")"
printf '%-28s %10.2f %14d\n' "pg_dump -Fd -j $jobs" "$pgd_dir" "$(du -sb "$work/a.dir" | cut -f1)"
printf '%-28s %10.2f\n' "pgsnap restore -j $jobs" "$psnap_r"
printf '%-28s %10.2f\n' "pg_restore -j $jobs (from -Fc)" "$pgd_r"
printf 'backup speed-up vs pg_dump -Fc: %.2fx, vs -Fd -j%s: %.2fx; restore speed-up: %.2fx\n' \
  "$(div "$pgd_b" "$psnap_b")" "$jobs" "$(div "$pgd_dir" "$psnap_b")" "$(div "$pgd_r" "$psnap_r")"
