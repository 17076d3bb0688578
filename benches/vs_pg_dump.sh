#!/usr/bin/env bash
# pgsnap against pg_dump / pg_restore on one dataset, on a throwaway cluster.
#
#   benches/vs_pg_dump.sh [--scale 30] [--rows 2000000] [--jobs 2] [--runs 3] [--level 1]
#                         [--zcurve "0 1 3 6 9"] [--single-table]
#
# Builds pgbench scale S plus a table of N rows of mixed types (uuid, timestamptz,
# numeric, text, jsonb, text[], bytea) with two secondary indexes, then runs, alternately
# and R times each: pgsnap backup -j J, pg_dump -Fc, pg_dump -Fd -j J, pgsnap restore -j J,
# pg_restore -j J (from -Fc), and the server's own COPY ... TO '/dev/null' (FORMAT binary)
# of every table on J sessions (the limit a logical backup can reach). Prints the median
# wall time, CPU time (user+sys of the client process), peak RSS, archive size, the CPU
# time of the whole host (server included: from /proc/stat, so run it on a quiet machine),
# and the pgsnap/pg_dump ratios. Each run starts after a CHECKPOINT and a sync, so that no
# run pays for the writes of the one before. Needs a release build (cargo build --release), PostgreSQL server
# binaries and GNU time; run as root (the server runs as 'postgres') or as a normal user.
# --zcurve also backs up at each listed zstd level (speed/size curve); --single-table also
# times a backup of the mixed table alone at -j 1 and at -j J (intra-table parallelism).
# --catalog N also builds a database of N empty tables (id int PRIMARY KEY, v text
# CHECK (v <> ''), n numeric DEFAULT 0) and times pgsnap backup -j J of it against
# pg_dump --schema-only (catalog scale).
set -euo pipefail
scale=30 rows=2000000 jobs=2 runs=3 level=1 zcurve="" single=0 catalog=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;; --rows) rows=$2; shift 2 ;; --jobs) jobs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;; --level) level=$2; shift 2 ;;
    --zcurve) zcurve=$2; shift 2 ;; --single-table) single=1; shift ;;
    --catalog) catalog=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
pgsnap=${PGSNAP:-$here/target/release/pgsnap}
[ -x "$pgsnap" ] || { echo "build first: cargo build --release" >&2; exit 2; }
bin=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
[ -x /usr/bin/time ] || { echo "GNU time is needed (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d /tmp/pgsnap-bench.XXXXXX); chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { as_pg "$bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# autovacuum off: otherwise it vacuums and analyzes each restored copy while the next
# runs are timed.
as_pg "$bin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -o "-p $port -k $work -c listen_addresses='' \
  -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c autovacuum=off \
  -c max_locks_per_transaction=$(( catalog / 10 + 64 ))" start >/dev/null
conn() { echo "host=$work port=$port user=postgres dbname=$1"; }
psql() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$(conn "${DB:-bench}")" "$@"; }

echo "building the dataset: pgbench scale $scale + $rows mixed rows ..." >&2
DB=postgres psql -c "CREATE DATABASE bench"
"$bin/pgbench" -i -q -s "$scale" -d "$(conn bench)" >/dev/null 2>&1
psql <<SQL
CREATE TABLE mixed (
  id bigint PRIMARY KEY, ref uuid NOT NULL, at timestamptz NOT NULL, amount numeric(14,4),
  note text, doc jsonb, tags text[], blob bytea);
INSERT INTO mixed
SELECT i, md5(i::text)::uuid, timestamptz '2020-01-01' + i * interval '7 seconds',
       (i % 100000) / 7.0, 'note ' || md5((i * 3)::text),
       jsonb_build_object('user', i % 10000, 'kind', (ARRAY['a','b','c'])[1 + i % 3], 'n', i),
       ARRAY['t' || (i % 17), 'u' || (i % 5)], decode(md5(i::text) || md5((i+1)::text), 'hex')
FROM generate_series(1, $rows) i;
CREATE INDEX mixed_at ON mixed (at);
CREATE INDEX mixed_ref ON mixed (ref);
VACUUM ANALYZE;
SQL
dbsize=$(psql -At -c "SELECT pg_size_pretty(pg_database_size('bench'))")
if [ "$catalog" -gt 0 ]; then
  echo "building the catalog database: $catalog tables ..." >&2
  DB=postgres psql -c "CREATE DATABASE many"
  DB=many psql <<SQL
DO \$do\$ BEGIN
  FOR i IN 1..$catalog LOOP
    EXECUTE format(\$f\$CREATE TABLE t%s (id int PRIMARY KEY, v text CHECK (v <> ''), n numeric DEFAULT 0)\$f\$, i);
  END LOOP;
END \$do\$;
SQL
fi

# name -> list of "wall cpu rss bytes"
declare -A res
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; } # all CPUs, not idle/iowait
measure() { # name, output-size-path or "", command...
  local name=$1 out=$2; shift 2
  # No run pays for the writes of the one before it: dirty buffers and pages out first.
  DB=postgres psql -c CHECKPOINT; sync
  local before; before=$(busy_ticks)
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  local host; host=$(awk -v a="$before" -v b="$(busy_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN{print (b-a)/hz}')
  read -r wall user sys rss < "$work/time"
  local bytes=0
  [ -n "$out" ] && bytes=$(du -sb "$out" | cut -f1)
  res[$name]+="$wall $(awk -v a="$user" -v b="$sys" 'BEGIN{print a+b}') $rss $bytes $host;"
}
server_copy() { # every table, largest first, on $jobs sessions
  local tables; tables=$(psql -At -c "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY pg_relation_size(relid) DESC")
  local i=0; declare -a lists
  for t in $tables; do lists[$((i % jobs))]+="COPY $t TO '/dev/null' (FORMAT binary);"; i=$((i+1)); done
  local pids=()
  for l in "${lists[@]}"; do psql -c "$l" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
}
for r in $(seq "$runs"); do
  echo "run $r/$runs ..." >&2
  rm -rf "$work/a.pgsnap" "$work/a.dump" "$work/a.dir"
  measure "server COPY to /dev/null -j$jobs" "" bash -c "$(declare -f psql conn server_copy); bin='$bin' work='$work' port='$port' jobs='$jobs' DB=bench server_copy"
  measure "pgsnap backup -j$jobs" "$work/a.pgsnap" "$pgsnap" -q backup -d "$(conn bench)" -f "$work/a.pgsnap" -j "$jobs" -Z "$level"
  measure "pg_dump -Fc" "$work/a.dump" "$bin/pg_dump" -d "$(conn bench)" -Fc -f "$work/a.dump"
  measure "pg_dump -Fd -j$jobs" "$work/a.dir" "$bin/pg_dump" -d "$(conn bench)" -Fd -j "$jobs" -f "$work/a.dir"
  DB=postgres psql -c "DROP DATABASE IF EXISTS r_pgsnap" -c "DROP DATABASE IF EXISTS r_pgdump" -c "CREATE DATABASE r_pgdump"
  measure "pgsnap restore -j$jobs" "" "$pgsnap" -q restore -d "$(conn r_pgsnap)" --create -j "$jobs" "$work/a.pgsnap"
  measure "pg_restore -j$jobs" "" "$bin/pg_restore" -d "$(conn r_pgdump)" -j "$jobs" "$work/a.dump"
  for z in $zcurve; do
    rm -f "$work/z.pgsnap"
    measure "pgsnap backup -j$jobs -Z $z" "$work/z.pgsnap" "$pgsnap" -q backup -d "$(conn bench)" -f "$work/z.pgsnap" -j "$jobs" -Z "$z"
  done
  if [ "$catalog" -gt 0 ]; then
    rm -f "$work/m.pgsnap" "$work/m.sql"
    measure "$catalog tables: pgsnap -j$jobs" "$work/m.pgsnap" "$pgsnap" -q backup -d "$(conn many)" -f "$work/m.pgsnap" -j "$jobs"
    measure "$catalog tables: pg_dump -s" "$work/m.sql" "$bin/pg_dump" -d "$(conn many)" --schema-only -f "$work/m.sql"
  fi
  if [ "$single" = 1 ]; then
    DB=postgres psql -c "DROP DATABASE IF EXISTS single" -c "CREATE DATABASE single TEMPLATE bench"
    DB=single psql -c "DROP TABLE pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers"
    for j in 1 "$jobs"; do
      rm -f "$work/s.pgsnap"
      measure "mixed table alone -j$j" "$work/s.pgsnap" "$pgsnap" -q backup -d "$(conn single)" -f "$work/s.pgsnap" -j "$j" -Z "$level"
    done
  fi
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { echo "${res[$1]}" | tr ';' '\n' | grep -v '^$' | awk -v c="$2" '{print $c}' | median; }
echo
echo "dataset: $dbsize (pgbench scale $scale + $rows mixed rows), PostgreSQL $("$bin/postgres" --version | awk '{print $3}'), $(nproc) cores, -j $jobs, zstd -Z $level, median of $runs runs"
printf '%-30s %9s %9s %10s %12s %11s\n' "" "wall s" "CPU s" "RSS MiB" "size MiB" "host CPU s"
order=("server COPY to /dev/null -j$jobs" "pgsnap backup -j$jobs" "pg_dump -Fc" "pg_dump -Fd -j$jobs" "pgsnap restore -j$jobs" "pg_restore -j$jobs")
for z in $zcurve; do order+=("pgsnap backup -j$jobs -Z $z"); done
[ "$single" = 1 ] && order+=("mixed table alone -j1" "mixed table alone -j$jobs")
[ "$catalog" -gt 0 ] && order+=("$catalog tables: pgsnap -j$jobs" "$catalog tables: pg_dump -s")
for n in "${order[@]}"; do
  printf '%-30s %9.2f %9.2f %10.1f %12.1f %11.2f\n' "$n" "$(col "$n" 1)" "$(col "$n" 2)" "$(awk -v k="$(col "$n" 3)" 'BEGIN{print k/1024}')" "$(awk -v b="$(col "$n" 4)" 'BEGIN{print b/1048576}')" "$(col "$n" 5)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "backup wall   pgsnap / pg_dump -Fc:        $(ratio "$(col "pgsnap backup -j$jobs" 1)" "$(col "pg_dump -Fc" 1)")"
echo "backup wall   pgsnap / pg_dump -Fd -j$jobs:     $(ratio "$(col "pgsnap backup -j$jobs" 1)" "$(col "pg_dump -Fd -j$jobs" 1)")"
echo "backup wall   pgsnap / server COPY limit:  $(ratio "$(col "pgsnap backup -j$jobs" 1)" "$(col "server COPY to /dev/null -j$jobs" 1)")"
echo "archive size  pgsnap / pg_dump -Fc:        $(ratio "$(col "pgsnap backup -j$jobs" 4)" "$(col "pg_dump -Fc" 4)")"
echo "restore wall  pgsnap / pg_restore -j$jobs:     $(ratio "$(col "pgsnap restore -j$jobs" 1)" "$(col "pg_restore -j$jobs" 1)")"
cores=$(nproc)
echo "backup floor  host CPU / $cores cores:         $(awk -v c="$(col "pgsnap backup -j$jobs" 5)" -v n="$cores" 'BEGIN{printf "%.2f", c / n}') s (server and pgsnap together: no schedule beats it)"
[ "$single" = 1 ] && echo "one table     -j1 / -j$jobs:                  $(ratio "$(col "mixed table alone -j1" 1)" "$(col "mixed table alone -j$jobs" 1)")"
[ "$catalog" -gt 0 ] && echo "catalog       pgsnap / pg_dump -s:         $(ratio "$(col "$catalog tables: pgsnap -j$jobs" 1)" "$(col "$catalog tables: pg_dump -s" 1)")"
exit 0
