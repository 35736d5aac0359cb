// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// bench_core: otpp's core costs beside the same work written with raw
// Boost.Asio (the "floor": one io_context run by N threads, an asio::strand
// per server, the server's state touched only on its strand).
//
//   W1a  call round trip, client is a coroutine      1,000,000 calls
//   W1b  call round trip, client is a plain thread     100,000 calls
//   W2   cast throughput from a plain thread        10,000,000 casts + 1 call
//   mem  RSS growth per idle server                    100,000 servers
//
// Each cell runs with 1 and 2 worker threads and is the median of 3 runs.
// Ratios are written so that > 1 always means otpp is better.
//
//   bench_core            full sizes
//   bench_core --quick    sizes / 10
//   bench_core --smoke    tiny sizes, one run per cell (for CI)
//   bench_core --only=W1a only the workloads whose name starts with W1a

#include "common.hpp"

#include <otpp/gen_server.hpp>
#include <otpp/runtime.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <fmt/format.h>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace {

using namespace bench;

// ---- sizes, timing, checks ---------------------------------------------------

struct sizes {
  int coroutine_calls = 1'000'000;  // W1a
  int blocking_calls = 100'000;     // W1b
  int casts = 10'000'000;           // W2
  int servers = 100'000;            // memory
  int repetitions = 3;
};

// ---- the otpp servers ----------------------------------------------------------

struct inc_server : otpp::gen_server<inc_server> {
  struct inc {
    using reply_type = int;
    int value;
  };
  std::int64_t handled = 0;

  int handle_call(inc m) {
    ++handled;
    return m.value + 1;
  }
};

struct sum_server : otpp::gen_server<sum_server> {
  struct add {
    int value;
  };
  struct total {
    using reply_type = std::int64_t;
  };
  std::int64_t sum = 0;

  void handle_cast(add a) { sum += a.value; }
  std::int64_t handle_call(total) { return sum; }
};

struct idle_server : otpp::gen_server<idle_server> {
  struct get {
    using reply_type = std::int64_t;
  };
  std::int64_t value = 0;

  std::int64_t handle_call(get) { return value; }
};

// ---- W1a: call round trip, coroutine client ----------------------------------

double w1_coroutine_otpp(unsigned threads, int calls) {
  otpp::runtime rt{with_workers(threads)};
  auto server = otpp::start<inc_server>(rt);
  auto client = [](otpp::server_ref<inc_server> ref, int n) -> asio::awaitable<void> {
    for (int i = 0; i < n; ++i) {
      const int r = co_await otpp::async_call(ref, inc_server::inc{i}, asio::use_awaitable);
      check(r == i + 1, "W1a otpp reply");
    }
  };
  const auto start = bench_clock::now();
  asio::co_spawn(rt.get_executor(), client(server, calls), asio::use_future).get();
  return calls / seconds_since(start);
}

double w1_coroutine_floor(unsigned threads, int calls) {
  floor_pool pool(threads);
  floor_server server(pool.context());
  auto client = [](floor_server& s, int n) -> asio::awaitable<void> {
    for (int i = 0; i < n; ++i) {
      const int r = co_await floor_async_inc(s, i, asio::use_awaitable);
      check(r == i + 1, "W1a floor reply");
    }
  };
  const auto start = bench_clock::now();
  asio::co_spawn(pool.context(), client(server, calls), asio::use_future).get();
  return calls / seconds_since(start);
}

// ---- W1b: call round trip, plain-thread client --------------------------------

double w1_blocking_otpp(unsigned threads, int calls) {
  otpp::runtime rt{with_workers(threads)};
  auto server = otpp::start<inc_server>(rt);
  const auto start = bench_clock::now();
  for (int i = 0; i < calls; ++i) check(otpp::call(server, inc_server::inc{i}) == i + 1, "W1b otpp reply");
  return calls / seconds_since(start);
}

double w1_blocking_floor(unsigned threads, int calls) {
  floor_pool pool(threads);
  floor_server server(pool.context());
  const auto start = bench_clock::now();
  for (int i = 0; i < calls; ++i) {
    const int r = floor_blocking_call(server, [&server, i] {
      ++server.state;
      return i + 1;
    });
    check(r == i + 1, "W1b floor reply");
  }
  return calls / seconds_since(start);
}

// ---- W2: cast throughput --------------------------------------------------------

std::int64_t expected_sum(int casts) { return std::int64_t{casts} * (casts - 1) / 2; }

double w2_cast_otpp(unsigned threads, int casts) {
  otpp::runtime rt{with_workers(threads)};
  auto server = otpp::start<sum_server>(rt);
  const auto start = bench_clock::now();
  std::thread producer([&] {
    for (int i = 0; i < casts; ++i) otpp::cast(server, sum_server::add{i});
  });
  producer.join();
  const std::int64_t sum = otpp::call(server, sum_server::total{}, otpp::infinity);
  const double elapsed = seconds_since(start);
  check(sum == expected_sum(casts), "W2 otpp sum");
  return casts / elapsed;
}

double w2_cast_floor(unsigned threads, int casts) {
  floor_pool pool(threads);
  floor_server server(pool.context());
  const auto start = bench_clock::now();
  std::thread producer([&] {
    for (int i = 0; i < casts; ++i) asio::post(server.strand, [&server, i] { server.state += i; });
  });
  producer.join();
  const std::int64_t sum = floor_blocking_call(server, [&server] { return server.state; });
  const double elapsed = seconds_since(start);
  check(sum == expected_sum(casts), "W2 floor sum");
  return casts / elapsed;
}

// ---- memory per idle server --------------------------------------------------------

double memory_otpp(unsigned threads, int servers) {
  otpp::runtime rt{with_workers(threads)};
  const std::size_t before = baseline_rss();
  std::vector<otpp::server_ref<idle_server>> refs;  // the handles count too
  refs.reserve(static_cast<std::size_t>(servers));
  for (int i = 0; i < servers; ++i) refs.push_back(otpp::start<idle_server>(rt));
  const std::size_t after = rss_bytes();
  check(rt.process_count() == static_cast<std::size_t>(servers), "memory otpp: all servers alive");
  check(otpp::call(refs.back(), idle_server::get{}) == 0, "memory otpp: a server answers");
  return static_cast<double>(after - before) / servers;
}

double memory_floor(unsigned threads, int servers) {
  floor_pool pool(threads);
  const std::size_t before = baseline_rss();
  std::vector<std::unique_ptr<floor_server>> kept;
  kept.reserve(static_cast<std::size_t>(servers));
  for (int i = 0; i < servers; ++i) kept.push_back(std::make_unique<floor_server>(pool.context()));
  const std::size_t after = rss_bytes();
  check(floor_blocking_call(*kept.back(), [&] { return kept.back()->state; }) == 0,
        "memory floor: a server answers");
  return static_cast<double>(after - before) / servers;
}

// ---- the table -----------------------------------------------------------------------

enum class unit { ops_per_second, bytes };

struct row {
  std::string workload;
  unsigned threads;
  unit kind;
  double otpp;
  double floor;
  std::string target;  // empty when the cell has no target
  bool met = true;

  double ratio() const { return kind == unit::bytes ? floor / otpp : otpp / floor; }
};

std::string show(unit kind, double v) {
  if (kind == unit::bytes) return fmt::format("{:.0f} B", v);
  if (v >= 1e6) return fmt::format("{:.2f} M/s", v / 1e6);
  return fmt::format("{:.1f} k/s", v / 1e3);
}

void print_table(const std::vector<row>& rows) {
  fmt::print("\n{:<30} {:>7} {:>12} {:>12} {:>7}  {}\n", "workload", "threads", "otpp", "floor",
             "ratio", "target");
  fmt::print("{}\n", std::string(92, '-'));
  for (const auto& r : rows) {
    std::string target = r.target.empty() ? "" : fmt::format("{} {}", r.target, r.met ? "met" : "MISSED");
    fmt::print("{:<30} {:>7} {:>12} {:>12} {:>6.2f}x  {}\n", r.workload, r.threads,
               show(r.kind, r.otpp), show(r.kind, r.floor), r.ratio(), target);
  }
  fmt::print("\nratio: otpp/floor for throughput, floor/otpp for bytes; > 1 means otpp is better.\n");
  fmt::print("targets: W1 and W2 at least 2x the floor with 2 threads; under 512 B per idle server.\n");
  fmt::print("memory counts each server's handle too: otpp::server_ref {} B, floor std::unique_ptr {} B.\n",
             sizeof(otpp::server_ref<idle_server>), sizeof(std::unique_ptr<floor_server>));
}

}  // namespace

int main(int argc, char** argv) {
  sizes n;
  std::string_view only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--only=")) {
      only = arg.substr(7);
    } else if (arg == "--smoke") {
      n = {1'000, 1'000, 10'000, 1'000, 1};
    } else if (arg == "--quick") {
      n = {100'000, 10'000, 1'000'000, 10'000, 3};
    } else {
      fmt::print(stderr, "usage: {} [--smoke | --quick] [--only=WORKLOAD]\n", argv[0]);
      return 2;
    }
  }

  struct workload {
    std::string name;
    unit kind;
    int size;
    double (*otpp)(unsigned, int);
    double (*floor)(unsigned, int);
  };
  const std::vector<workload> workloads = {
      {fmt::format("W1a call, coroutine ({})", n.coroutine_calls), unit::ops_per_second,
       n.coroutine_calls, w1_coroutine_otpp, w1_coroutine_floor},
      {fmt::format("W1b call, thread ({})", n.blocking_calls), unit::ops_per_second, n.blocking_calls,
       w1_blocking_otpp, w1_blocking_floor},
      {fmt::format("W2 cast ({})", n.casts), unit::ops_per_second, n.casts, w2_cast_otpp, w2_cast_floor},
      {fmt::format("memory/idle server ({})", n.servers), unit::bytes, n.servers, memory_otpp,
       memory_floor},
  };

  std::vector<row> rows;
  for (const auto& w : workloads) {
    if (!w.name.starts_with(only)) continue;
    for (unsigned threads : {1u, 2u}) {
      fmt::print(stderr, "{} with {} thread(s)...\n", w.name, threads);
      row r{w.name, threads, w.kind, 0, 0, {}};
      r.otpp = median_of(n.repetitions, [&] { return w.otpp(threads, w.size); });
      r.floor = median_of(n.repetitions, [&] { return w.floor(threads, w.size); });
      if (w.kind == unit::bytes) {
        r.target = "< 512 B";
        r.met = r.otpp < 512;
      } else if (threads == 2) {
        r.target = ">= 2x";
        r.met = r.ratio() >= 2;
      }
      rows.push_back(r);
    }
  }
  print_table(rows);
  return 0;
}
