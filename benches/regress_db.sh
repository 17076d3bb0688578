#!/usr/bin/env bash
# Fidelity check on PostgreSQL's own regression database.
#
#   benches/regress_db.sh --src DIR [--pgsnap PATH] [--jobs 4] [--port P] [--keep]
#                         [--serial] [--out DIR] [--bindir DIR]
#   benches/regress_db.sh --reuse CLUSTERDIR [--pgsnap PATH] [--jobs 4] [--out DIR] [--keep]
#   benches/regress_db.sh --get-source DIR        (Debian/Ubuntu helper, see below)
#
# Builds the database "regression" the way `make installcheck-parallel` does: initdb of a
# throwaway cluster, compile regress.so (plus refint.so/autoinc.so from contrib/spi) from
# the PostgreSQL source tree given by --src against the installed server headers, run
# pg_regress with the core parallel_schedule. Some failing tests are fine: only the
# resulting database matters. Then, as the reference, pg_dump -Fc | pg_restore -j J into
# "regression_ref"; and with --pgsnap PATH also pgsnap backup -j J | pgsnap restore
# --create -j J into "regression_copy". Each copy is compared with the original by
#   - the unified diff of `pg_dump --schema-only` (minus the "-- Dumped from/by" lines),
#     reported as the number of changed lines (+/-) and written to OUT/<name>.schema.diff;
#   - count(*) and an md5 of the sorted rows of every table and materialized view
#     (ONLY, so each inheritance child counts once), mismatches listed;
#   - database-level settings (ALTER DATABASE ... SET) and the database comment.
# Outputs (pg_regress's regression.out/.diffs, the diffs, logs) go to OUT
# (default ${TMPDIR:-/tmp}/pgsnap-regress-out; files of an earlier run are overwritten).
#
# --keep leaves the cluster running and prints how to connect; --reuse DIR then runs the
# comparisons again on that cluster (no rebuild, e.g. after changing pgsnap).
# --serial runs the schedule on one connection (like `make installcheck`), slower.
# Build products (regress.so etc.) are cached in ${PGSNAP_REGRESS_CACHE:-/var/tmp/pgsnap-regress}
# (must be readable by the server's OS user). Needs the server binaries and the server
# headers of the same major version (as root the script apt-get installs
# postgresql-server-dev-MAJOR when missing), gcc, and runs the server as the OS user
# 'postgres' when started as root. Nothing of PostgreSQL is copied into this repository.
#
# Getting the source: --get-source DIR runs `apt-get source postgresql-MAJOR` (the
# installed server's exact version when the archive still has it) with a private apt
# configuration that adds deb-src lines for the mirror in /etc/apt/sources.list.d/debian.sources
# (the system's apt configuration is not touched) and unpacks it under DIR. Elsewhere,
# download https://ftp.postgresql.org/pub/source/vX.Y/postgresql-X.Y.tar.bz2 and unpack it.
set -euo pipefail

exec 3>&2   # the real stderr, for the exit trap (which may run inside a redirection)
die() { echo "regress_db: $*" >&2; exit 2; }
say() { echo "== $*" >&2; }
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }

src="" pgsnap="" jobs=4 port="" keep=0 serial=0 out="" bindir="${PG_BINDIR:-}" reuse="" getsrc=""
while [ $# -gt 0 ]; do
  case "$1" in
    --src) src=$2; shift 2 ;; --pgsnap) pgsnap=$2; shift 2 ;; --jobs|-j) jobs=$2; shift 2 ;;
    --port) port=$2; shift 2 ;; --keep) keep=1; shift ;; --serial) serial=1; shift ;;
    --out) out=$2; shift 2 ;; --bindir) bindir=$2; shift 2 ;; --reuse) reuse=$2; shift 2 ;;
    --get-source) getsrc=$2; shift 2 ;; -h|--help) usage ;;
    *) die "unknown option $1 (--help)" ;;
  esac
done
is_root() { [ "$(id -u)" = 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
t_start=$SECONDS
elapsed() { local s=$((SECONDS - ${1:-$t_start})); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

pick_bindir() { # [major]
  if [ -z "$bindir" ]; then
    if [ -n "${1:-}" ] && [ -x "/usr/lib/postgresql/$1/bin/postgres" ]; then bindir=/usr/lib/postgresql/$1/bin
    else bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true); fi
  fi
  [ -n "$bindir" ] && [ -x "$bindir/postgres" ] || die "no PostgreSQL server binaries found (--bindir DIR)"
}
server_version() { "$bindir/postgres" --version | awk '{print $3}'; }   # 15.18

# ---------------------------------------------------------------- --get-source helper
if [ -n "$getsrc" ]; then
  pick_bindir ""
  major=$(server_version | cut -d. -f1)
  pkgver=$(dpkg-query -W -f='${Version}' "postgresql-$major" 2>/dev/null || true)
  command -v apt-get >/dev/null || die "--get-source needs apt (Debian/Ubuntu); otherwise download the tarball from ftp.postgresql.org"
  [ -r /etc/apt/sources.list.d/debian.sources ] || die "/etc/apt/sources.list.d/debian.sources not found; add a deb-src line by hand"
  command -v dpkg-source >/dev/null || { is_root && apt-get install -y --no-install-recommends dpkg-dev >&2; } \
    || die "dpkg-source missing: apt-get install dpkg-dev"
  apt=$(mktemp -d); trap 'rm -rf "$apt"' EXIT
  mkdir -p "$apt/parts" "$apt/lists/partial"
  # the system's deb822 stanzas, with Types: deb-src
  sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$apt/parts/src.sources"
  aopt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/parts" -o "Dir::State::Lists=$apt/lists"
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User="$(id -un)")
  say "apt-get update (deb-src only, private lists in $apt)"
  apt-get "${aopt[@]}" update >&2
  mkdir -p "$getsrc"; cd "$getsrc"
  if [ -n "$pkgver" ] && apt-get "${aopt[@]}" source "postgresql-$major=$pkgver" >&2; then :
  else
    say "version $pkgver of postgresql-$major not in the archive; taking the newest"
    apt-get "${aopt[@]}" source "postgresql-$major" >&2
  fi
  tree=$(ls -d "$PWD"/postgresql-"$major"-*/ 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$tree" ] || die "apt-get source left no postgresql-$major-* directory in $PWD"
  say "source tree: ${tree%/}"
  echo "run: $0 --src ${tree%/}"
  exit 0
fi

# ---------------------------------------------------------------- checks
case "$jobs" in ''|*[!0-9]*|0) die "--jobs wants a positive number" ;; esac
[ -z "$pgsnap" ] || [ -x "$pgsnap" ] || die "--pgsnap $pgsnap: not an executable (cargo build --release?)"
[ -n "$pgsnap" ] && pgsnap=$(cd "$(dirname "$pgsnap")" && pwd)/$(basename "$pgsnap")
[ "$port" != 5432 ] || die "refusing port 5432"
command -v runuser >/dev/null || ! is_root || die "runuser is needed to start the server as 'postgres'"

out=${out:-${TMPDIR:-/tmp}/pgsnap-regress-out}
mkdir -p "$out"; out=$(cd "$out" && pwd); rm -f "$out/regression.diffs"

if [ -n "$reuse" ]; then
  # ------------------------------------------------------------ reuse a --keep cluster
  T=$(cd "$reuse" && pwd)
  [ -f "$T/port" ] && [ -f "$T/bindir" ] || die "$reuse is not a cluster left by --keep"
  port=$(cat "$T/port"); bindir=$(cat "$T/bindir")
  if ! as_pg "$bindir/pg_ctl" -D "$T/data" status >/dev/null 2>&1; then
    say "starting the cluster in $T on port $port"
    as_pg "$bindir/pg_ctl" -D "$T/data" -l "$T/log" -w start >/dev/null
  fi
  keep=1
  cleanup() { :; }
else
  [ -n "$src" ] || die "--src DIR (PostgreSQL source tree) is required; see --get-source or --help"
  src=$(cd "$src" && pwd)
  [ -f "$src/src/test/regress/parallel_schedule" ] && [ -f "$src/src/test/regress/regress.c" ] \
    || die "$src does not look like a PostgreSQL source tree (no src/test/regress)"
  srcver=$(sed -n "s/^PACKAGE_VERSION='\(.*\)'$/\1/p" "$src/configure" 2>/dev/null | head -1)
  [ -n "$srcver" ] || srcver=$(sed -n "s/^ *version: '\([0-9.]*\)'.*/\1/p" "$src/meson.build" 2>/dev/null | head -1)
  [ -n "$srcver" ] || die "cannot tell the version of the source in $src"
  srcmajor=${srcver%%.*}
  pick_bindir "$srcmajor"
  srvver=$(server_version)
  [ "${srvver%%.*}" = "$srcmajor" ] || die "source is $srcver but the server in $bindir is $srvver (--bindir)"
  [ "$srvver" = "$srcver" ] || say "warning: source $srcver, server $srvver (minor versions differ; usually fine)"

  # ------------------------------------------------------------ build products (cached)
  pgc=$bindir/pg_config
  [ -x "$pgc" ] || pgc=$(command -v pg_config || true)
  [ -n "$pgc" ] || die "pg_config not found"
  incs=$("$pgc" --includedir-server)
  if [ ! -f "$incs/postgres.h" ]; then
    is_root || die "server headers missing: apt-get install postgresql-server-dev-$srcmajor"
    say "installing postgresql-server-dev-$srcmajor"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "postgresql-server-dev-$srcmajor" >&2
    incs=$("$pgc" --includedir-server)
    [ -f "$incs/postgres.h" ] || die "still no $incs/postgres.h"
  fi
  command -v gcc >/dev/null || die "gcc is needed"
  pg_regress=$("$pgc" --pkglibdir)/pgxs/src/test/regress/pg_regress
  [ -x "$pg_regress" ] || die "pg_regress not found at $pg_regress"
  cache=${PGSNAP_REGRESS_CACHE:-/var/tmp/pgsnap-regress}/$srcver
  mkdir -p "$cache"; chmod 755 "${cache%/*}" "$cache"
  build() { # name source.c [extra cflags]
    local so=$cache/$1.so
    # shellcheck disable=SC2046,SC2206
    local cmd=(gcc $("$pgc" --cflags) $("$pgc" --cflags_sl) ${3:-} -I"$incs" -shared -o "$so.tmp" "$2" $("$pgc" --ldflags_sl))
    if [ ! -f "$so" ] || [ "$2" -nt "$so" ] || [ "$incs/pg_config.h" -nt "$so" ] \
       || [ "$(cat "$so.cmd" 2>/dev/null)" != "${cmd[*]}" ]; then
      say "compiling $1.so"
      "${cmd[@]}"
      mv "$so.tmp" "$so"; echo "${cmd[*]}" > "$so.cmd"
    fi
    chmod 755 "$so"
  }
  build regress "$src/src/test/regress/regress.c"
  # as contrib/spi/Makefile does: the triggers test expects refint's NOTICEs
  build refint "$src/contrib/spi/refint.c" -DREFINT_VERBOSE
  build autoinc "$src/contrib/spi/autoinc.c"

  # ------------------------------------------------------------ throwaway cluster
  if [ -z "$port" ]; then
    port=54330
    while [ "$port" = 5432 ] || (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  fi
  T=$(mktemp -d "${TMPDIR:-/tmp}/pgsnap-regress.XXXXXX"); chmod 755 "$T"
  cleanup() {
    local rc=$?
    if [ "$keep" = 1 ] && [ "$rc" = 0 ]; then return; fi
    if [ -f "$T/data/postmaster.pid" ]; then as_pg "$bindir/pg_ctl" -D "$T/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    if [ "$rc" != 0 ] && [ -f "$T/log" ]; then cp "$T/log" "$out/server.log" 2>/dev/null || true; echo "server log: $out/server.log" >&3; fi
    rm -rf "$T"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  echo "$port" > "$T/port"; echo "$bindir" > "$T/bindir"
  # pg_regress reads the test files and the server reads data/ and writes results/:
  # work on a copy the server's OS user can read whatever the permissions of --src
  cp -R "$src/src/test/regress/." "$T/regress-in"
  mkdir -p "$T/regress-out"
  is_root && chown -R postgres: "$T"
  say "initdb + start on port $port in $T"
  as_pg "$bindir/initdb" -D "$T/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$T/initdb.log" 2>&1 \
    || { cat "$T/initdb.log" >&2; die "initdb failed"; }
  cat >> "$T/data/postgresql.conf" <<EOF
# throwaway cluster of benches/regress_db.sh (in the file so that --reuse can restart it)
port = $port
unix_socket_directories = '$T'
listen_addresses = '127.0.0.1'
# as pg_regress's temp instance, plus speed
fsync = off
max_prepared_transactions = 2
log_lock_waits = on
EOF
  as_pg "$bindir/pg_ctl" -D "$T/data" -l "$T/log" -w start >/dev/null

  # ------------------------------------------------------------ regression suite
  conns=(); [ "$serial" = 1 ] && conns=(--max-connections=1)
  say "pg_regress: core parallel_schedule (about 30 s on 2 cores)"
  t0=$SECONDS; regress_rc=0
  as_pg "$pg_regress" --inputdir="$T/regress-in" --outputdir="$T/regress-out" --bindir="$bindir" \
    --dlpath="$cache" --host="$T" --port="$port" --user=postgres --max-concurrent-tests=20 \
    "${conns[@]}" --schedule="$T/regress-in/parallel_schedule" > "$out/regression.out" 2>&1 || regress_rc=$?
  cp "$T/regress-out/regression.diffs" "$out/" 2>/dev/null || true
  summary=$(grep -E 'tests? (passed|failed)|failed tests were ignored' "$out/regression.out" | sed 's/^[ #]*//; s/ *$//' | paste -sd ' ' || true)
  failed=$(grep -E '\.\.\. FAILED|\.\.\. failed' "$out/regression.out" | awk '{for (i = 1; i <= NF; i++) if ($i == "...") {print $(i-1); break}}' | tr '\n' ' ' || true)
  say "pg_regress done in $(elapsed "$t0"), exit $regress_rc: ${summary:-no summary, see $out/regression.out}"
  [ -n "$failed" ] && say "failed tests: $failed(diffs: $out/regression.diffs)"
  [ -n "$summary" ] || { tail -20 "$out/regression.out" >&2; die "pg_regress did not run (see $out/regression.out)"; }
fi

conn() { echo "host=$T port=$port user=postgres dbname=$1"; }
psql() { local db=$1; shift; PGOPTIONS="-c client_min_messages=warning" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "$(conn "$db")" "$@"; }
dbexists() { [ "$(psql postgres -At -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; }
dbexists regression || die "database regression does not exist"
# a leftover prepared transaction would hold locks and block every dump
npx=$(psql postgres -At -c "SELECT count(*) FROM pg_prepared_xacts")
if [ "$npx" != 0 ]; then
  say "rolling back $npx leftover prepared transaction(s)"
  psql postgres -At -c "SELECT gid, database FROM pg_prepared_xacts" | while IFS='|' read -r gid db; do
    psql "$db" -c "ROLLBACK PREPARED '$gid'"
  done
fi
dbsize=$(psql postgres -At -c "SELECT pg_size_pretty(pg_database_size('regression'))")
ntab=$(psql regression -At -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE relkind IN ('r','p','m') AND nspname NOT IN ('pg_catalog','information_schema') AND nspname NOT LIKE 'pg\_%'")
say "database regression: $dbsize, $ntab tables/matviews"

# ------------------------------------------------------------ comparison helpers
schema_dump() { # db file
  "$bindir/pg_dump" --schema-only -d "$(conn "$1")" -f "$2.raw"
  # (\restrict KEY / \unrestrict KEY: random per dump since 15.14/16.10/17.6)
  grep -vE '^(-- Dumped (from|by) |\\(un)?restrict )' "$2.raw" > "$2"; rm -f "$2.raw"
}
# name|rows|md5 of the rows as text, sorted, columns in name order (so a restore that
# changes the column order of an inheritance child, as pg_dump does, still compares equal),
# for every table and materialized view; an error is recorded as such
row_digest() { # db file
  psql "$1" -At > "$2" <<'SQL'
SET client_min_messages = warning; SET lc_monetary = 'C'; SET lc_numeric = 'C'; SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3;
SET bytea_output = 'hex'; SET timezone_abbreviations = 'Default'; SET statement_timeout = '300s';
CREATE TEMP TABLE pgsnap_rc (name text, nrows text, digest text);
DO $$
DECLARE r record; n bigint; h text;
BEGIN
  FOR r IN SELECT format('%I.%I', nspname, relname) AS q,
                  CASE relkind WHEN 'm' THEN ' [matview]' ELSE '' END AS note,
                  (SELECT coalesce(string_agg(quote_ident(attname), ', ' ORDER BY attname COLLATE "C"), '')
                   FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS cols
           FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
           WHERE relkind IN ('r', 'm') AND relpersistence <> 't'
             AND nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'
  LOOP
    BEGIN
      EXECUTE format('SELECT count(*), md5(coalesce(string_agg(x, E''\n'' ORDER BY x COLLATE "C"), ''''))
                      FROM (SELECT ROW(%s)::text AS x FROM ONLY %s) s', r.cols, r.q) INTO n, h;
      INSERT INTO pgsnap_rc VALUES (r.q || r.note, n::text, h);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO pgsnap_rc VALUES (r.q || r.note, 'ERROR', SQLERRM);
    END;
  END LOOP;
END $$;
SELECT name || '|' || nrows || '|' || digest FROM pgsnap_rc ORDER BY name COLLATE "C";
SQL
}
db_props() { # db file: per-database settings and comment, name-independent
  psql postgres -At > "$2" <<SQL
SELECT 'setting ' || coalesce(r.rolname, '(all roles)') || ': ' || array_to_string(s.setconfig, ', ')
FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE d.datname = '$1' ORDER BY 1;
SELECT 'comment: ' || coalesce(shobj_description(oid, 'pg_database'), '(none)') || E'\nencoding: '
       || pg_encoding_to_char(encoding) || E'\ncollate/ctype: ' || datcollate || '/' || datctype
       || E'\nconnlimit: ' || datconnlimit || E'\nallowconn: ' || datallowconn
FROM pg_database WHERE datname = '$1';
SQL
}
changed_lines() { tail -n +3 "$1" | grep -c '^[-+]' || true; }
schema_dump regression "$out/regression.schema.sql"
row_digest regression "$out/regression.rows"
db_props regression "$out/regression.dbprops"
declare -A result
compare() { # label db
  local label=$1 db=$2
  schema_dump "$db" "$out/$db.schema.sql"
  diff -u "$out/regression.schema.sql" "$out/$db.schema.sql" > "$out/$label.schema.diff" || true
  local sd; sd=$(changed_lines "$out/$label.schema.diff")
  row_digest "$db" "$out/$db.rows"
  local mism; mism=$(LC_ALL=C join -t '|' -a 1 -a 2 -e MISSING -o 0,1.2,2.2,1.3,2.3 \
    <(LC_ALL=C sort -t '|' -k1,1 "$out/regression.rows") <(LC_ALL=C sort -t '|' -k1,1 "$out/$db.rows") \
    | awk -F'|' '$2 != $3 || $4 != $5')
  local nm=0; [ -n "$mism" ] && nm=$(echo "$mism" | wc -l)
  local nrow nc
  nrow=$(awk -F'|' '$2 != $3' <<<"$mism" | grep -c . || true)
  nc=$(awk -F'|' '$2 == $3' <<<"$mism" | grep -c . || true)
  { echo "table|rows in regression|rows in $db|md5 in regression|md5 in $db"; echo "$mism"; } > "$out/$label.rows.diff"
  db_props "$db" "$out/$db.dbprops"
  diff -u "$out/regression.dbprops" "$out/$db.dbprops" > "$out/$label.dbprops.diff" || true
  local pd; pd=$(changed_lines "$out/$label.dbprops.diff")
  result[$label]="schema diff: $sd changed lines ($out/$label.schema.diff)
    tables: $(wc -l < "$out/regression.rows") compared, $nm mismatched ($nrow row count, $nc content only) ($out/$label.rows.diff)
    database settings/comment: $pd changed lines ($out/$label.dbprops.diff)"
  if [ "$nm" != 0 ]; then
    result[$label]+=$'\n'"    first mismatches (table|rows orig|rows copy):"
    result[$label]+=$'\n'"$(cut -d'|' -f1-3 <<<"$mism" | awk 'NR <= 15' | sed 's/^/      /')"
  fi
}

# ------------------------------------------------------------ reference: pg_dump / pg_restore
say "reference: pg_dump -Fc + pg_restore -j $jobs into regression_ref"
t0=$SECONDS
psql postgres -c "DROP DATABASE IF EXISTS regression_ref" -c "CREATE DATABASE regression_ref TEMPLATE template0"
rm -f "$T/ref.dump"
"$bindir/pg_dump" -Fc -d "$(conn regression)" -f "$T/ref.dump" 2> "$out/pg_dump.log" \
  || { cat "$out/pg_dump.log" >&2; die "pg_dump failed"; }
t_dump=$(elapsed "$t0"); t0=$SECONDS
ref_rc=0; "$bindir/pg_restore" -j "$jobs" -d "$(conn regression_ref)" "$T/ref.dump" 2> "$out/pg_restore.log" || ref_rc=$?
t_restore=$(elapsed "$t0")
ref_err=$(sed -n 's/.*errors ignored on restore: \([0-9]*\).*/\1/p' "$out/pg_restore.log" | tail -1)
compare pg_restore regression_ref
result[pg_restore]="pg_dump $t_dump, pg_restore $t_restore (exit $ref_rc, ${ref_err:-0} errors, $out/pg_restore.log), $(du -h "$T/ref.dump" | cut -f1)
    ${result[pg_restore]}"

# ------------------------------------------------------------ pgsnap
if [ -n "$pgsnap" ]; then
  say "pgsnap backup -j $jobs + restore --create -j $jobs into regression_copy"
  psql postgres -c "DROP DATABASE IF EXISTS regression_copy"
  rm -f "$T/r.pgsnap"
  t0=$SECONDS; snap_rc=0
  "$pgsnap" backup -d "$(conn regression)" -f "$T/r.pgsnap" -j "$jobs" > "$out/pgsnap-backup.log" 2>&1 || snap_rc=$?
  t_b=$(elapsed "$t0")
  if [ "$snap_rc" != 0 ]; then
    tail -20 "$out/pgsnap-backup.log" >&2
    result[pgsnap]="pgsnap backup FAILED (exit $snap_rc after $t_b, $out/pgsnap-backup.log)"
  else
    t0=$SECONDS; rest_rc=0
    "$pgsnap" restore -d "$(conn regression_copy)" --create -j "$jobs" "$T/r.pgsnap" > "$out/pgsnap-restore.log" 2>&1 || rest_rc=$?
    t_r=$(elapsed "$t0")
    [ "$rest_rc" = 0 ] || tail -20 "$out/pgsnap-restore.log" >&2
    if dbexists regression_copy; then
      compare pgsnap regression_copy
      result[pgsnap]="backup $t_b, restore $t_r (exit $rest_rc, $out/pgsnap-restore.log), $(du -h "$T/r.pgsnap" | cut -f1)
    ${result[pgsnap]}"
    else
      result[pgsnap]="pgsnap restore FAILED (exit $rest_rc after $t_r, no regression_copy; $out/pgsnap-restore.log)"
    fi
  fi
fi

# ------------------------------------------------------------ report
echo
echo "PostgreSQL $(server_version) regression database ($dbsize, $ntab tables/matviews), -j $jobs, $(nproc) cores"
[ -n "${summary:-}" ] && echo "pg_regress: $summary${failed:+(failed: $failed)}"
echo "pg_dump -Fc / pg_restore (reference; restored into a pre-created database, so without the database settings): ${result[pg_restore]}"
[ -n "$pgsnap" ] && echo "pgsnap: ${result[pgsnap]}"
echo "outputs: $out"
echo "total: $(elapsed)"
if [ "$keep" = 1 ]; then
  echo
  echo "cluster left running in $T (port $port):"
  echo "  psql \"$(conn regression)\""
  echo "  again:  $0 --reuse $T --pgsnap PATH"
  if is_root; then echo "  stop:   runuser -u postgres -- $bindir/pg_ctl -D $T/data -m fast stop && rm -rf $T"
  else echo "  stop:   $bindir/pg_ctl -D $T/data -m fast stop && rm -rf $T"; fi
fi
exit 0
