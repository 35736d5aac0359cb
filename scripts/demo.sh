#!/usr/bin/env bash
# Builds and runs otpp's main demo, the service monitor (installs any missing
# Debian packages first). Give an example's name to run that one instead,
# with any further arguments passed on:
#
#   bash scripts/demo.sh                     # examples/service_monitor, self-contained
#   bash scripts/demo.sh service_monitor http://127.0.0.1:8080/health
#   bash scripts/demo.sh rate_limiter
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

example=${1:-service_monitor}
if [ $# -gt 0 ]; then shift; fi
if [ ! -f "examples/${example}.cpp" ] && [ ! -f "examples/${example}/main.cpp" ]; then
  echo "demo: no example named '${example}'; the examples are:" >&2
  for source in examples/*.cpp examples/*/main.cpp; do
    if [ "$(basename "$source")" = main.cpp ]; then source=$(dirname "$source"); fi
    echo "  $(basename "$source" .cpp)" >&2
  done
  exit 2
fi

cmake --preset release >/dev/null
cmake --build --preset release --target "$example"
exec "build/release/examples/${example}" "$@"
