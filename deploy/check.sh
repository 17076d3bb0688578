#!/usr/bin/env bash
# CI's check of everything under deploy/ and of QUICK_START.md, on a fresh
# machine (installs what it needs, idempotently):
#   1. the Kubernetes overlays render (kubectl kustomize) and validate against
#      the Kubernetes schemas (kubernetes-validate --strict); all YAML lints;
#   2. the static binary builds (deploy/build-static.sh), is static (ldd), and
#      runs in an empty root;
#   3. the commands of QUICK_START.md and README.md run, as written, against a
#      throwaway cluster (docs/doctest.sh), and the demo runs;
#   4. the container image builds (buildah, from the static binary) and, run
#      read-only as its non-root user, backs up, verifies and restores that
#      cluster; pg_dump --schema-only of source and copy must match.
# Step 4 is skipped, loudly, where no daemonless builder can be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '\n== %s\n' "$*"; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
apt_install() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null; }
pip_install() { python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"; }

say "tools"
command -v kubernetes-validate >/dev/null || pip_install kubernetes-validate
command -v yamllint >/dev/null || pip_install yamllint
command -v kubectl >/dev/null || { echo "kubectl is missing (needed for kubectl kustomize)" >&2; exit 1; }
command -v musl-gcc >/dev/null || { $SUDO apt-get update -qq; apt_install musl-tools; }
rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
containers=yes
for t in buildah podman runc; do
  command -v $t >/dev/null || apt_install $t || containers=no
done

say "1. manifests"
yamllint -d '{extends: relaxed, rules: {line-length: {max: 120}}}' deploy
out=$(mktemp -d); chmod 755 "$out"
trap 'rm -rf "$out"' EXIT
for overlay in pvc s3; do
  kubectl kustomize "deploy/kubernetes/overlays/$overlay" > "$out/$overlay.yaml"
  kubernetes-validate --strict --quiet "$out/$overlay.yaml"
  echo "overlays/$overlay: $(grep -c '^kind:' "$out/$overlay.yaml") objects valid"
done
kubernetes-validate --strict --quiet deploy/kubernetes/base/secret.example.yaml
python3 - <<'EOF'
import yaml
c = yaml.safe_load(open("deploy/compose/compose.yaml"))
s = c["services"]
assert {"postgres", "pgsnap"} <= set(s), s.keys()
p = s["pgsnap"]
assert p["read_only"] and p["user"] == "65532:65532" and p["cap_drop"] == ["ALL"], p
print("compose.yaml: services", ", ".join(sorted(s)))
EOF

say "2. static binary"
deploy/build-static.sh
bin=$root/target/image/pgsnap
ldd "$bin" 2>&1 | grep -Eq 'not a dynamic executable|statically linked' \
  || { echo "pgsnap is not static: $(ldd "$bin")" >&2; exit 1; }
mkdir -p "$out/empty"; cp "$bin" "$out/empty/pgsnap"
chroot "$out/empty" /pgsnap --version
echo "static: $(du -h "$bin" | cut -f1), runs in an empty root"
# The commands the CronJobs and the cron file run must parse (flag names and
# subcommands; `--help` after them stops before anything runs).
python3 - "$out" > "$out/commands" <<'PY'
import shlex, sys, yaml
out = sys.argv[1]
for overlay in ("pvc", "s3"):
    for doc in yaml.safe_load_all(open(f"{out}/{overlay}.yaml")):
        if doc and doc["kind"] == "CronJob":
            c = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
            print(shlex.join(c["args"]))
for line in open("deploy/cron/pgsnap.cron"):
    line = line.lstrip("# ")
    # Cron entries (also the commented Compose ones): a schedule, then a command.
    if line[:1].isdigit() or line.startswith("*"):
        words = shlex.split(line.split("pgsnap", 2)[-1].split(">")[0])
        print(shlex.join(words))
PY
while read -r cmd; do
  eval "set -- $cmd"
  "$bin" "$@" --help >/dev/null || { echo "deploy/ runs a command pgsnap does not take: pgsnap $cmd" >&2; exit 1; }
done < "$out/commands"
echo "$(wc -l < "$out/commands") commands in the CronJobs and the cron file parse"

say "3. the docs' commands (QUICK_START.md, README.md) against a throwaway cluster"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cl=$out/cluster; mkdir -p "$cl"; chown postgres: "$cl"
runuser -u postgres -- "$pgbin/initdb" -D "$cl/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$cl/data" -l "$cl/log" -w -o \
  "-p $port -k $cl -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$cl/data" -m fast -w stop >/dev/null; rm -rf "$out"' EXIT
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
PATH="$root/target/image:$PATH" docs/doctest.sh QUICK_START.md README.md
# pg_dump's \restrict lines carry a random key: not part of the schema.
schema() { "$pgbin/pg_dump" -s -d "$1" | grep -Ev '^\\(un)?restrict '; }
schema app > "$out/a.sql"; schema app_copy > "$out/b.sql"
diff "$out/a.sql" "$out/b.sql"
echo "QUICK_START: restored schema matches"
PATH="$root/target/image:$PATH" pgsnap demo --rows 20000

say "4. container image"
if [ "$containers" = no ]; then
  echo "SKIPPED: buildah/podman/runc could not be installed; the static binary above is what the image holds"
  exit 0
fi
st=$out/storage
buildah --root "$st/root" --runroot "$st/run" --storage-driver vfs bud --isolation chroot \
  --build-arg BINARY=prebuilt -f deploy/Dockerfile -t pgsnap:ci . >/dev/null
pod() {
  podman --root "$st/root" --runroot "$st/run" --storage-driver vfs --cgroup-manager cgroupfs \
    --events-backend file --runtime runc run --rm --network host \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --read-only --cap-drop ALL \
    -v "$out/img:/backups" -e PGHOST=localhost -e PGPORT="$port" -e PGUSER=postgres \
    -e BACKUP_DIR=/backups -e PGSNAP_NO_PROGRESS=1 localhost/pgsnap:ci "$@"
}
mkdir -p "$out/img"; chown 65532:65532 "$out/img"
podman --root "$st/root" --runroot "$st/run" --storage-driver vfs images localhost/pgsnap:ci \
  --format 'image: {{.Repository}}:{{.Tag}} {{.Size}}'
[ "$(podman --root "$st/root" --runroot "$st/run" --storage-driver vfs inspect localhost/pgsnap:ci \
  --format '{{.Config.User}}')" = 65532:65532 ]
pod --version
pod backup -d app --name app -j 2
pod verify --latest
pod restore -d app_image --create -j 2 "/backups/$(ls "$out/img" | grep '\.pgsnap$' | tail -1)"
schema app_image > "$out/c.sql"
diff "$out/a.sql" "$out/c.sql"
echo "image: backup, verify and restore as UID 65532 on a read-only root; schema matches"
