#!/usr/bin/env bash
# Runs a command with BATON_TEST_DATABASE_URL pointing at a fresh throwaway cluster, and
# stops the cluster afterwards, also when the command fails or is interrupted.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/baton-test.XXXXXX)
cleanup() { "$here/test-cluster.sh" stop "$dir"; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
url=$("$here/test-cluster.sh" start "$dir") || exit 1
export BATON_TEST_DATABASE_URL="$url"
echo "test database: $url" >&2
"$@"
