#!/usr/bin/env bash
# The project's test command: installs missing system packages, starts a throwaway PostgreSQL
# (Scripts/postgres.sh; ZESTOR_POSTGRES_URL points the Postgres tests at it), builds, runs every test.
# Usage: Scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib.sh

ensure_packages "${LIBRARY_PACKAGES[@]}"

# A throwaway PostgreSQL cluster for ZestorPostgresTests, stopped (and deleted) however we exit.
# Its own state file, so neither a developer's cluster nor a concurrent run is touched.
export ZESTOR_PG_STATE="$PWD/.build-postgres/test-$$.state"
echo "==> starting PostgreSQL" >&2
trap 'Scripts/postgres.sh stop' EXIT
ZESTOR_POSTGRES_URL="$(Scripts/postgres.sh start)"
export ZESTOR_POSTGRES_URL
echo "==> ZESTOR_POSTGRES_URL=$ZESTOR_POSTGRES_URL" >&2

echo "==> swift build (warnings are errors)" >&2
swift build --build-tests -Xswiftc -warnings-as-errors

echo "==> swift test" >&2
swift test --skip-build "$@"

# The concurrency stress tests again, under Thread Sanitizer (set ZESTOR_SKIP_TSAN=1 to skip locally).
if [ "${ZESTOR_SKIP_TSAN:-0}" != "1" ]; then
    echo "==> Thread Sanitizer" >&2
    Scripts/tsan.sh
fi
