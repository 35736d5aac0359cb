#!/usr/bin/env bash
# Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#
# The Erlang/OTP side of benchmarks/WORKLOADS.md: compiles the modules here
# with erlc and runs otpp_bench, printing its RESULT lines.
#
#   run.sh [BUILD_DIR] [--smoke | --quick] [--schedulers=N] [--reps=N] [WORKLOAD...]
#
#   BUILD_DIR         where the .beam files go (default: a temporary directory)
#   --smoke, --quick  tiny sizes (a check that it runs) or sizes / 10
#   --schedulers=N    run everything, W9 included, in one VM with +S N:N
#   --reps=N          runs per measurement, the median is reported
#   WORKLOAD          W1 W2 W3 W4 W5 W6 W7 W9 (default: all of them)
#
# Without --schedulers, W1..W7 run with the VM's default schedulers (one per
# core), and W9 runs in two more VMs, with +S 1:1 and with +S 2:2.
# Exits non-zero if erl or erlc is missing, or if any check fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  sed -n '7,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

build=""
size=""
schedulers=""
reps=""
workloads=()
if [[ $# -gt 0 && "$1" != -* && ! "$1" =~ ^W[0-9] ]]; then
  build="$1"
  shift
fi
for arg in "$@"; do
  case "$arg" in
    --smoke) size=smoke ;;
    --quick) size=quick ;;
    --full) size=full ;;
    --schedulers=*) schedulers="${arg#--schedulers=}" ;;
    --reps=*) reps="reps=${arg#--reps=}" ;;
    -h | --help) usage ;;
    W[0-9]*) workloads+=("$arg") ;;
    *) echo "run.sh: unknown argument: $arg" >&2; usage ;;
  esac
done
if [[ -n "$schedulers" && ! "$schedulers" =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: --schedulers wants a positive number, not '$schedulers'" >&2
  exit 2
fi

for tool in erl erlc; do
  if ! command -v "$tool" > /dev/null 2>&1; then
    echo "run.sh: '$tool' not found: install Erlang/OTP (Debian: apt-get install erlang-base, which has both erl and erlc)" >&2
    exit 1
  fi
done

if [[ -z "$build" ]]; then
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
fi
mkdir -p "$build"
erlc -Werror -o "$build" "$here"/*.erl

# Runs otpp_bench in one VM: run_vm [erl flags...] -- [otpp_bench arguments...]
run_vm() {
  local flags=()
  while [[ "$1" != "--" ]]; do flags+=("$1"); shift; done
  shift
  # The VM's working directory is the build directory: a crash dump, if any,
  # lands there and not in the source tree.
  (cd "$build" && erl -noshell +P 2097152 "${flags[@]}" -pa "$build" \
      -run otpp_bench main ${size:+"$size"} ${reps:+"$reps"} "$@" -s init stop)
}

# W9 twice, with 1 and with 2 schedulers; tells the 2-thread/1-thread time ratio.
run_w9_pair() {
  local out1 out2
  out1="$(run_vm +S 1:1 -- W9)"
  echo "$out1"
  out2="$(run_vm +S 2:2 -- W9)"
  echo "$out2"
  local r1 r2
  r1="$(awk '$1 == "RESULT" && $2 == "W9" { print $5 }' <<< "$out1")"
  r2="$(awk '$1 == "RESULT" && $2 == "W9" { print $5 }' <<< "$out2")"
  if [[ -n "$r1" && -n "$r2" ]]; then
    awk -v a="$r1" -v b="$r2" 'BEGIN { printf "W9: 2-thread time / 1-thread time = %.3f (target: at most 0.55)\n", a / b }' >&2
  fi
}

if [[ -n "$schedulers" ]]; then
  if [[ ${#workloads[@]} -eq 0 ]]; then workloads=(all); fi
  run_vm "+S" "$schedulers:$schedulers" -- "${workloads[@]}"
  exit 0
fi

main_workloads=()
want_w9=0
if [[ ${#workloads[@]} -eq 0 ]]; then
  main_workloads=(W1 W2 W3 W4 W5 W6 W7)
  want_w9=1
else
  for w in "${workloads[@]}"; do
    if [[ "$w" == W9 ]]; then want_w9=1; else main_workloads+=("$w"); fi
  done
fi
if [[ ${#main_workloads[@]} -gt 0 ]]; then
  run_vm -- "${main_workloads[@]}"
fi
if [[ $want_w9 -eq 1 ]]; then
  run_w9_pair
fi
