#!/usr/bin/env bash
# Installs the Debian packages Weir builds and tests with, when missing.
# Idempotent: a machine that has them all is left untouched and nothing is downloaded.
set -euo pipefail

# libpq-dev: the jdbc connector; postgresql: the server its tests start (tests/tools/pgtest.sh).
# libavro-dev: the avro format (Avro C).
PKGS=(gcc make pkg-config libxxhash-dev libmd-dev libpcre2-dev libedit-dev libcriterion-dev librdkafka-dev
    libpq-dev postgresql libavro-dev)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
