#!/usr/bin/env bash
# Builds and tests otpp with each CMake preset given (default: release).
#
#   bash scripts/test.sh                   # release
#   bash scripts/test.sh tsan asan-ubsan   # the sanitizers
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(release)
fi

for preset in "${presets[@]}"; do
  echo "=== otpp: preset ${preset} ==="
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
