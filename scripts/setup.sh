#!/usr/bin/env bash
# Installs what Baton needs to build, test and run, if it is missing. Quiet and idempotent:
# a no-op when everything is there. Debian/Ubuntu, as root (or with sudo).
set -euo pipefail

packages=(pkg-config libpq-dev libcurl4-openssl-dev libjq-dev zlib1g-dev postgresql postgresql-contrib util-linux procps pgbouncer)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  # Debian's postgresql package would create and start a system cluster; Baton runs its own.
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: the Swift toolchain (6.x) is not on PATH; install it from https://swift.org/install" >&2
  exit 1
fi
