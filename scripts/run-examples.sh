#!/usr/bin/env bash
# Runs every example built in a build directory and checks its output.
#
#   bash scripts/run-examples.sh build/release            # every example
#   bash scripts/run-examples.sh build/tsan rate_limiter  # just these
#
# Each example (examples/<name>.cpp, or examples/<name>/ for one of several
# files) has an examples/<name>.expect beside it: one
# extended regular expression (grep -E) per line, which must match lines of
# the example's output (stdout and stderr together) in that order; blank
# lines and lines starting with '#' are ignored. An example must also exit
# 0 within the time limit (EXAMPLE_TIMEOUT seconds, default 90).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${1:?usage: run-examples.sh BUILD_DIR [EXAMPLE...]}
shift
limit=${EXAMPLE_TIMEOUT:-90}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for source in examples/*.cpp examples/*/main.cpp; do
    if [ "$(basename "$source")" = main.cpp ]; then
      names+=("$(basename "$(dirname "$source")")")
    else
      names+=("$(basename "$source" .cpp)")
    fi
  done
fi

# Prints the first pattern of $1 (an .expect file) that does not match the
# output in $2 in order, and returns 1; returns 0 if all match.
check_output() {
  local expect=$1 output=$2 pattern rest
  rest=$(cat "$output")
  while IFS= read -r pattern || [ -n "$pattern" ]; do
    if [ -z "$pattern" ] || [[ "$pattern" == \#* ]]; then continue; fi
    # Keep only what follows the first matching line, so the order is checked.
    if ! rest=$(printf '%s\n' "$rest" | awk -v re="$pattern" 'found { print; next } $0 ~ re { found = 1 } END { exit !found }'); then
      echo "  missing (in this order): ${pattern}"
      return 1
    fi
  done <"$expect"
}

failed=()
for name in "${names[@]}"; do
  binary="${build}/examples/${name}"
  expect="examples/${name}.expect"
  echo "--- ${name} (timeout ${limit}s)"
  if [ ! -x "$binary" ]; then
    echo "  not built: ${binary}"
    failed+=("$name")
    continue
  fi
  if [ ! -f "$expect" ]; then
    echo "  no ${expect}: every example's output is checked"
    failed+=("$name")
    continue
  fi
  output=$(mktemp)
  rc=0
  timeout -k 10 "$limit" "$binary" </dev/null >"$output" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$output" | sed 's/^/  | /'
    if [ "$rc" -eq 124 ]; then echo "  did not finish within ${limit}s"; else echo "  exited with ${rc}"; fi
    failed+=("$name")
  elif ! check_output "$expect" "$output"; then
    sed 's/^/  | /' "$output" | tail -n 60
    failed+=("$name")
  else
    echo "--- ${name}: ok ($(wc -l <"$output") lines checked against ${expect})"
  fi
  rm -f "$output"
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "run-examples: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run-examples: all ${#names[@]} passed in ${build}"
