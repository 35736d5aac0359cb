#!/usr/bin/env bash
# Installs the Debian packages otpp needs to build and test, if any is
# missing, and any further packages named as arguments (scripts/bench.sh
# asks for Erlang and CAF this way).
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libboost1.81-dev libfmt-dev catch2 git "$@")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg -s "$p" 2>/dev/null || true)
  if [[ "$status" != *$'\nStatus: install ok installed'* ]]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all present (${packages[*]})"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
