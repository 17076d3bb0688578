#!/usr/bin/env bash
# Builds a fully static pgsnap (musl: its DNS resolver is built in, unlike a
# static glibc's) and gathers what the container image needs into
# target/image/: the binary and the CA certificates. Used by deploy/Dockerfile
# and by CI; needs `rustup target add x86_64-unknown-linux-musl` and musl-gcc
# (Debian: musl-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
export CC_x86_64_unknown_linux_musl=musl-gcc
cargo build --release --locked --target "$target" --bin pgsnap
mkdir -p target/image
install -m 0755 "${CARGO_TARGET_DIR:-target}/$target/release/pgsnap" target/image/pgsnap
strip target/image/pgsnap
install -m 0644 /etc/ssl/certs/ca-certificates.crt target/image/ca-certificates.crt
ls -l target/image
