#!/usr/bin/env bash
# Runs the commands of the given Markdown files as written: every ```bash
# block, in order, each in its own `bash -euo pipefail`, except blocks right
# after a `<!-- doc-test: skip (why) -->` line. Called by deploy/check.sh with
# PGHOST/PGPORT/PGUSER set to a throwaway cluster and pgsnap on PATH.
#
# The blocks run in a private mount namespace where db1, db2 and db3 resolve
# to 127.0.0.1 (the cluster) and /var/backups is a scratch directory, in a
# scratch working directory. The cluster gets what the examples use: the
# databases "app" and "shop" (the test corpus, and in shop the tables the
# selection examples name) and a superuser "backup".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
: "${PGHOST:?}" "${PGPORT:?}" "${PGUSER:?}"
psql_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql
work=$(mktemp -d); chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# The corpus as this server's version takes it (src/cluster/corpus.rs: lines
# between "-- @since N" and "-- @end" from major N on, those after an
# "-- @else" below N).
major=$(( $("$psql_bin" -d postgres -Atc "SHOW server_version_num") / 10000 ))
awk -v major="$major" '
  /^-- @since / { keep = (major >= $3); next }
  $0 == "-- @else" { keep = !keep; next }
  $0 == "-- @end" { keep = 1; next }
  BEGIN { keep = 1 }
  keep' "$root/tests/corpus/app.sql" > "$work/corpus.sql"
for db in app shop; do
  if [ -z "$("$psql_bin" -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    "$psql_bin" -q -d postgres -c "CREATE DATABASE $db"
    "$psql_bin" -q -d "$db" -v ON_ERROR_STOP=1 -f "$work/corpus.sql" >/dev/null
  fi
done
"$psql_bin" -q -d postgres -c "DO \$\$ BEGIN CREATE ROLE backup LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
# The README's selection examples name these.
"$psql_bin" -q -d shop -v ON_ERROR_STOP=1 <<'SQL'
CREATE SCHEMA IF NOT EXISTS sales;
CREATE TABLE IF NOT EXISTS sales.deals (id int PRIMARY KEY, amount numeric);
CREATE TABLE IF NOT EXISTS sales.audit (id int, note text);
CREATE TABLE IF NOT EXISTS sales.click_log (id int, at timestamptz);
CREATE TABLE IF NOT EXISTS public.orders (id int PRIMARY KEY, total numeric);
CREATE TABLE IF NOT EXISTS public.orders_2025 (id int, total numeric);
INSERT INTO sales.deals SELECT g, g * 10 FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;
INSERT INTO public.orders SELECT g, g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;
SQL

python3 - "$work" "$@" <<'PY'
import pathlib, re, sys
work = pathlib.Path(sys.argv[1])
n = 0
for doc in sys.argv[2:]:
    text = open(doc).read()
    blocks = re.findall(r"(<!-- doc-test: skip[^>]*-->\s*)?```bash\n(.*?)```", text, re.S)
    run = [b for skip, b in blocks if not skip]
    assert run, f"{doc}: no command to run"
    for b in run:
        n += 1
        (work / f"{n:03d}.sh").write_text(f"# {doc}\n{b}")
    print(f"{doc}: {len(run)} of {len(blocks)} blocks run, {len(blocks) - len(run)} marked skip")
PY

{ cat /etc/hosts; echo "127.0.0.1 db1 db2 db3"; } > "$work/hosts"
mkdir -p "$work/var-backups" "$work/cwd"; chmod 777 "$work/cwd"
unshare --mount bash -euo pipefail -c '
  work=$1
  mount --bind "$work/hosts" /etc/hosts
  mount --bind "$work/var-backups" /var/backups
  cd "$work/cwd"
  for block in "$work"/[0-9]*.sh; do
    echo "== doc-test $(head -1 "$block" | cut -c3-) block $(basename "$block" .sh)"
    bash -euxo pipefail "$block"
  done
' doctest "$work"
echo "doc-test: every block ran"
