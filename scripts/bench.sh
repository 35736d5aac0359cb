#!/usr/bin/env bash
# Runs the benchmark suite of benchmarks/WORKLOADS.md: otpp and the raw-Asio
# floor (bench_suite), and beside them Erlang/OTP and CAF when they are
# installed, each program several times; prints one table of medians with
# each system's ratio to otpp, and writes it to build/release/bench-results.md.
#
#   bash scripts/bench.sh                 full sizes, 3 runs (tens of minutes)
#   bash scripts/bench.sh --quick         sizes / 10
#   bash scripts/bench.sh --smoke         tiny sizes, 1 run: checks that it all runs
#   bash scripts/bench.sh --with-peers    first install Erlang (erlang-base) and CAF (libcaf-dev)
#   bash scripts/bench.sh --runs=5        medians of 5
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=()
runs=3
peers=()
for arg in "$@"; do
  case "$arg" in
    --quick) mode=(--quick) ;;
    --smoke) mode=(--smoke); runs=1 ;;
    --with-peers) peers=(erlang-base libcaf-dev) ;;
    --runs=*) runs=${arg#--runs=} ;;
    *) echo "usage: bench.sh [--quick | --smoke] [--with-peers] [--runs=N]" >&2; exit 2 ;;
  esac
done

# `time` is GNU time, for the compile cost's peak memory.
bash scripts/install-deps.sh time "${peers[@]}"
cmake --preset release >/dev/null
targets=(bench_suite)
if cmake --build --preset release --target help | grep -q '^bench_caf:'; then targets+=(bench_caf); fi
cmake --build --preset release --target "${targets[@]}"

bin=build/release/benchmarks
raw=build/release/bench-raw.txt
: >"$raw"
have_erlang=0
if command -v erl >/dev/null && command -v erlc >/dev/null; then have_erlang=1; fi

# C1, compile cost: a unit with otpp/otpp.hpp and a gen_server beside one with
# only Boost.Asio and fmt (the "floor"), as the compiler's wall time and peak
# memory; otpp header-only (C1t, C1m) and with OTPP_SEPARATE_COMPILATION, the
# runtime compiled in another unit (C1st, C1sm).
compile_cost() {
  local system source flags measured seconds kib
  measured=build/release/compile-cost.txt
  # Untimed first: the first compile after a build reads the compiler and
  # the headers from disk and was up to 1.4x slower here.
  "${CXX:-g++}" -std=c++20 -O2 -Iinclude -c benchmarks/compile/asio_unit.cpp -o /dev/null
  for system in otpp otpp-separate floor; do
    source=benchmarks/compile/otpp_unit.cpp
    flags=()
    [ "$system" = otpp-separate ] && flags=(-DOTPP_SEPARATE_COMPILATION)
    [ "$system" = floor ] && source=benchmarks/compile/asio_unit.cpp
    /usr/bin/time -f '%e %M' -o "$measured" "${CXX:-g++}" -std=c++20 -O2 "${flags[@]}" -Iinclude -c "$source" -o /dev/null
    read -r seconds kib <"$measured"
    case "$system" in
      otpp) echo "RESULT C1t otpp 1 ${seconds} s"; echo "RESULT C1m otpp 1 $((kib / 1024)) MiB" ;;
      otpp-separate) echo "RESULT C1st otpp 1 ${seconds} s"; echo "RESULT C1sm otpp 1 $((kib / 1024)) MiB" ;;
      floor)
        for row in C1t C1st; do echo "RESULT ${row} floor 1 ${seconds} s"; done
        for row in C1m C1sm; do echo "RESULT ${row} floor 1 $((kib / 1024)) MiB"; done
        ;;
    esac
  done
}

for run in $(seq 1 "$runs"); do
  echo "=== run ${run} of ${runs}" >&2
  compile_cost | tee -a "$raw"
  "$bin/bench_suite" "${mode[@]}" | tee -a "$raw"
  # The core workloads also with one worker thread, beside the floor's.
  for w in W1 W2 W4; do "$bin/bench_suite" "${mode[@]}" --threads=1 --only="$w" | tee -a "$raw"; done
  # Each program runs once per pass here; the medians are taken below.
  if [ -x "$bin/caf/bench_caf" ]; then
    "$bin/caf/bench_caf" "${mode[@]}" --reps=1 --threads=2 | tee -a "$raw"
    "$bin/caf/bench_caf" "${mode[@]}" --reps=1 --threads=1 --only=W9 | tee -a "$raw"
  fi
  if [ "$have_erlang" -eq 1 ]; then
    bash benchmarks/erlang/run.sh "${mode[@]}" --reps=1 --schedulers=2 | tee -a "$raw"
    bash benchmarks/erlang/run.sh "${mode[@]}" --reps=1 --schedulers=1 W9 | tee -a "$raw"
  fi
done

# Medians: sort each (workload, threads, system) group's values, take the middle.
table=build/release/bench-results.md
grep '^RESULT ' "$raw" | awk '{ print $2, $4, $3, $5, $6 }' | sort -k1,1V -k2,2n -k3,3 -k4,4g |
  awk '
    function flush() {
      if (n == 0) return
      median[key] = v[int((n + 1) / 2)]
      unit[row] = u
      if (!(row in seen)) { seen[row] = 1; rows[++nrows] = row }
      n = 0
    }
    {
      row = $1 " " $2; k = row " " $3
      if (k != key) { flush(); key = k }
      v[++n] = $4; u = $5
    }
    END {
      flush()
      split("floor erlang caf", peers, " ")
      printf "| workload | threads | unit | otpp | floor | erlang | caf | otpp vs floor | otpp vs erlang | otpp vs caf |\n"
      printf "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n"
      for (r = 1; r <= nrows; ++r) {
        row = rows[r]; split(row, parts, " ")
        o = (row " otpp") in median ? median[row " otpp"] : ""
        line = sprintf("| %s | %s | %s | %s", parts[1], parts[2], unit[row], o == "" ? "-" : sprintf("%.4g", o))
        for (p = 1; p <= 3; ++p) {
          k = row " " peers[p]
          line = line sprintf(" | %s", (k in median) ? sprintf("%.4g", median[k]) : "-")
        }
        for (p = 1; p <= 3; ++p) {
          k = row " " peers[p]
          if (!(k in median) || o == "" || o == 0 || median[k] == 0) { line = line " | -"; continue }
          # > 1 means otpp is better: more ops/s, or fewer us or bytes.
          ratio = unit[row] == "ops/s" ? o / median[k] : median[k] / o
          line = line sprintf(" | %.2fx", ratio)
        }
        print line " |"
      }
    }' >"$table"

echo
echo "Medians of ${runs} run(s)${mode:+ (${mode[*]})}; ratios > 1 mean otpp is better."
[ -x "$bin/caf/bench_caf" ] || echo "(CAF not built: bash scripts/bench.sh --with-peers installs libcaf-dev)"
[ "$have_erlang" -eq 1 ] || echo "(Erlang not installed: bash scripts/bench.sh --with-peers installs erlang-base)"
echo
cat "$table"
echo
echo "table written to ${table}; raw results in ${raw}"
