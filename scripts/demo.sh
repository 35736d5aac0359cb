#!/usr/bin/env bash
# Builds the release preset and runs the demo examples.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

cmake --preset release
cmake --build --preset release

for example in stack config_server supervision_tree; do
  binary="build/release/examples/${example}"
  if [ ! -x "$binary" ]; then
    echo "demo: ${binary} was not built (is there an examples/${example}.cpp?)" >&2
    exit 1
  fi
done

for example in stack config_server supervision_tree; do
  echo "=== otpp demo: ${example} ==="
  "build/release/examples/${example}"
done
