// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// bench_supervision: what supervision costs.
//
//   R1  restart latency: a child's handler throws; time until the restarted
//       child (found by its registered name) answers a call from a plain
//       thread, which sleeps until the new child's init has run. Median and p99 over 10,000 restarts. Raw Asio has no
//       supervisor, so there is no floor.
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
#include <otpp/registry.hpp>
#include <otpp/runtime.hpp>
#include <otpp/supervisor.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using namespace bench;

struct sizes {
  int restarts = 10'000;   // R1
  int children = 100'000;  // D1
  int repetitions = 3;
};

// Counts starts of `crashy`, so that the client can sleep until a restart.
std::atomic<int> incarnations{0};

// A child that answers `get` and crashes on `crash`.
struct crashy : otpp::gen_server<crashy> {
  struct get {
    using reply_type = int;
  };
  struct crash {};
  void init() {
    incarnations.fetch_add(1);
    incarnations.notify_all();
  }
  int handle_call(get) { return 7; }
  void handle_cast(crash) { throw std::runtime_error("crash on purpose"); }
};

otpp::runtime_options quiet(unsigned threads) {
  auto options = with_workers(threads);
  options.logger = nullptr;  // one crash report per restart would dominate
  return options;
}

// ---- R1: restart latency ------------------------------------------------------

struct latency {
  double median_us;
  double p99_us;
};

latency restart_latency(unsigned threads, int restarts) {
  otpp::runtime rt{quiet(threads)};
  otpp::supervisor_spec spec{{.strategy = otpp::one_for_one, .max_restarts = restarts + 1, .max_seconds = std::chrono::seconds(3600)},
                             {otpp::child_spec_for<crashy>(otpp::name{"crashy"})}};
  auto sup = otpp::start_supervisor(rt, std::move(spec));
  otpp::server_ref<crashy> child(rt, otpp::name{"crashy"});
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(restarts));
  for (int i = 0; i < restarts; ++i) {
    const int before = incarnations.load();
    const auto start = bench_clock::now();
    otpp::cast(child, crashy::crash{});
    incarnations.wait(before);  // until the restarted child's init has run
    check(otpp::call(child, crashy::get{}) == 7, "R1 restarted child answers");
    samples.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  check(otpp::count_children(sup).active == 1, "R1 one child");
  return {samples[samples.size() / 2], samples[samples.size() * 99 / 100]};
}

// ---- D1: dynamic_supervisor start and stop ---------------------------------------

double dynamic_otpp(unsigned threads, int children) {
  otpp::runtime rt{quiet(threads)};
  auto sup = otpp::start_dynamic_supervisor(rt);
  const otpp::child_spec spec = otpp::child_spec_for<crashy>();
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
      n = {100, 1'000, 1};
    } else if (arg == "--quick") {
      n = {1'000, 10'000, 3};
    } else {
      fmt::print(stderr, "usage: {} [--smoke | --quick]\n", argv[0]);
      return 2;
    }
  }

  fmt::print("\n{:<44} {:>7} {:>14} {:>14} {:>7}\n", "workload", "threads", "otpp", "floor", "ratio");
  fmt::print("{}\n", std::string(90, '-'));
  for (unsigned threads : {1u, 2u}) {
    fmt::print(stderr, "R1 with {} thread(s)...\n", threads);
    latency best{};
    std::vector<latency> runs;
    for (int r = 0; r < n.repetitions; ++r) runs.push_back(restart_latency(threads, n.restarts));
    std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.median_us < b.median_us; });
    best = runs[runs.size() / 2];
    fmt::print("{:<44} {:>7} {:>11.1f} us {:>14} {:>7}\n", fmt::format("R1 restart, median ({})", n.restarts),
               threads, best.median_us, "-", "-");
    fmt::print("{:<44} {:>7} {:>11.1f} us {:>14} {:>7}\n", fmt::format("R1 restart, p99 ({})", n.restarts),
               threads, best.p99_us, "-", "-");
  }
  for (unsigned threads : {1u, 2u}) {
    fmt::print(stderr, "D1 with {} thread(s)...\n", threads);
    const double o = median_of(n.repetitions, [&] { return dynamic_otpp(threads, n.children); });
    const double f = median_of(n.repetitions, [&] { return dynamic_floor(threads, n.children); });
    fmt::print("{:<44} {:>7} {:>11.1f} k/s {:>10.1f} k/s {:>6.2f}x\n",
               fmt::format("D1 dynamic_supervisor start+stop ({})", n.children), threads, o / 1e3, f / 1e3,
               o / f);
  }
  fmt::print("\nratio: otpp/floor (children per second); > 1 means otpp is faster.\n");
  fmt::print("R1 is measured from a plain thread, so it includes one blocking call round trip.\n");
  return 0;
}
