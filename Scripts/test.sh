#!/usr/bin/env bash
# The project's test command: installs missing system packages, builds, runs every test.
# Usage: Scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib.sh

ensure_packages "${LIBRARY_PACKAGES[@]}"

echo "==> swift build (warnings are errors)" >&2
swift build --build-tests -Xswiftc -warnings-as-errors

echo "==> swift test" >&2
swift test --skip-build "$@"

# The concurrency stress tests again, under Thread Sanitizer (set ZESTOR_SKIP_TSAN=1 to skip locally).
if [ "${ZESTOR_SKIP_TSAN:-0}" != "1" ]; then
    echo "==> Thread Sanitizer" >&2
    Scripts/tsan.sh
fi
