// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// bench_supervision: what a dynamic_supervisor costs (restart latency is
// W7 of bench_suite).
//
//   D1  dynamic_supervisor: start 100,000 children, then stop them all one
//       by one with terminate_child, from a plain thread. Children per
//       second. Floor: a strand "supervisor" that creates and destroys
//       strand servers on request, each request a blocking round trip.
//
// Each cell runs with 1 and 2 worker threads.
//
//   bench_supervision            full sizes
//   bench_supervision --quick    sizes / 10
//   bench_supervision --smoke    tiny sizes (for CI)

#include "common.hpp"

#include <otpp/dynamic_supervisor.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using namespace bench;

struct sizes {
  int children = 100'000;  // D1
  int repetitions = 3;
};

// A child that answers `get`.
struct child : otpp::gen_server<child> {
  struct get {
    using reply_type = int;
  };
  int handle_call(get) { return 7; }
};

// ---- D1: dynamic_supervisor start and stop ---------------------------------------

double dynamic_otpp(unsigned threads, int children) {
  otpp::runtime rt{with_workers(threads)};
  auto sup = otpp::start_dynamic_supervisor(rt);
  const otpp::child_spec spec = otpp::child_spec_for<child>();
  std::vector<otpp::pid> pids;
  pids.reserve(static_cast<std::size_t>(children));
  const auto start = bench_clock::now();
  for (int i = 0; i < children; ++i) pids.push_back(otpp::start_child(sup, spec));
  check(otpp::count_children(sup).active == static_cast<std::size_t>(children), "D1 otpp all started");
  for (const auto& p : pids) otpp::terminate_child(sup, p);
  const double elapsed = seconds_since(start);
  check(rt.process_count() == 1, "D1 otpp all stopped");
  return children / elapsed;
}

double dynamic_floor(unsigned threads, int children) {
  floor_pool pool(threads);
  floor_server sup(pool.context());
  std::unordered_map<std::int64_t, std::unique_ptr<floor_server>> kids;  // touched on sup's strand only
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(children));
  const auto start = bench_clock::now();
  for (int i = 0; i < children; ++i) {
    ids.push_back(floor_blocking_call(sup, [&] {
      const std::int64_t id = sup.state++;
      kids.emplace(id, std::make_unique<floor_server>(pool.context()));
      return id;
    }));
  }
  for (auto id : ids) floor_blocking_call(sup, [&] { return kids.erase(id); });
  const double elapsed = seconds_since(start);
  check(floor_blocking_call(sup, [&] { return kids.size(); }) == 0, "D1 floor all stopped");
  return children / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  sizes n;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      n = {1'000, 1};
    } else if (arg == "--quick") {
      n = {10'000, 3};
    } else {
      fmt::print(stderr, "usage: {} [--smoke | --quick]\n", argv[0]);
      return 2;
    }
  }

  fmt::print("\n{:<44} {:>7} {:>14} {:>14} {:>7}\n", "workload", "threads", "otpp", "floor", "ratio");
  fmt::print("{}\n", std::string(90, '-'));
  for (unsigned threads : {1u, 2u}) {
    fmt::print(stderr, "D1 with {} thread(s)...\n", threads);
    const double o = median_of(n.repetitions, [&] { return dynamic_otpp(threads, n.children); });
    const double f = median_of(n.repetitions, [&] { return dynamic_floor(threads, n.children); });
    fmt::print("{:<44} {:>7} {:>11.1f} k/s {:>10.1f} k/s {:>6.2f}x\n",
               fmt::format("D1 dynamic_supervisor start+stop ({})", n.children), threads, o / 1e3, f / 1e3,
               o / f);
  }
  fmt::print("\nratio: otpp/floor (children per second); > 1 means otpp is faster.\n");
  return 0;
}
