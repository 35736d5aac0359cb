#!/usr/bin/env bash
# Builds and tests otpp with each CMake preset given (default: release).
#
#   bash scripts/test.sh                   # release
#   bash scripts/test.sh tsan asan-ubsan   # the sanitizers
#   bash scripts/test.sh clang16-libcxx    # Clang 16 on libc++ (also clang14, clang16)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(release)
fi

# The compilers the presets name, beside what every build needs.
extra=()
for preset in "${presets[@]}"; do
  case "$preset" in
    clang14) extra+=(clang-14) ;;
    clang16) extra+=(clang-16) ;;
    clang16-libcxx) extra+=(clang-16 libc++-16-dev libc++abi-16-dev) ;;
  esac
done
bash scripts/install-deps.sh "${extra[@]}"

for preset in "${presets[@]}"; do
  echo "=== otpp: preset ${preset} ==="
  cmake --preset "$preset"
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
