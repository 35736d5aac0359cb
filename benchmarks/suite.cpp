// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// bench_suite: the workloads of WORKLOADS.md for otpp and for the raw-Asio
// floor (one io_context run by N threads, an asio::strand per server), one
// run each, every measurement printed as
//
//   RESULT <workload> <system> <threads> <value> <unit>
//
// for scripts/bench.sh, which runs this and the Erlang and CAF programs
// three times and prints the table of medians. A wrong result aborts.
//
//   bench_suite                   full sizes, 2 worker threads
//   bench_suite --quick           sizes / 10
//   bench_suite --smoke           tiny sizes (for CI)
//   bench_suite --threads=N       N worker threads (W9 always runs with 1 and 2)
//   bench_suite --only=W5         only the workloads whose id starts with W5
//   bench_suite --system=otpp     only otpp (or only the floor), e.g. under perf

#include "common.hpp"

#include <otpp/otpp.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace bench;

struct sizes {
  int calls = 1'000'000;           // W1, W8
  int casts = 10'000'000;          // W2
  int fan_in_clients = 1'000;      // W3
  int fan_in_calls = 1'000;        // W3, per client
  int servers = 100'000;           // W4
  int ring_size = 1'000;           // W5
  int ring_hops = 1'000'000;       // W5
  int skynet_levels = 6;           // W6: 10^levels leaves
  int restarts = 10'000;           // W7
  int parallel_servers = 1'000;    // W9
  int parallel_jobs = 100;         // W9, per server
  int job_rounds = 20'000;         // W9, per job
};

// The system --system= chose; empty for both.
std::string_view only_system;
bool runs(std::string_view system) { return only_system.empty() || only_system == system; }

void report(std::string_view workload, std::string_view system, unsigned threads, double value,
            std::string_view unit) {
  fmt::print("RESULT {} {} {} {:.6g} {}\n", workload, system, threads, value, unit);
  std::fflush(stdout);
}

otpp::runtime_options quiet(unsigned threads) {
  auto options = with_workers(threads);
  options.logger = nullptr;  // W7's crash reports would dominate it
  return options;
}

// ---- servers ---------------------------------------------------------------------

struct inc_server : otpp::gen_server<inc_server> {
  struct inc {
    using reply_type = int;
    int value;
  };
  int handle_call(inc m) { return m.value + 1; }
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

// An idle server whose init reports that it ran (W4s is timed until every init has).
struct idle_server : otpp::gen_server<idle_server> {
  struct get {
    using reply_type = std::int64_t;
  };
  std::int64_t value = 0;
  std::int64_t handle_call(get) { return value; }
};

// ---- W1: call round trip, coroutine client ----------------------------------------

void w1(unsigned threads, const sizes& n) {
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    auto server = otpp::start<inc_server>(rt);
    auto client = [](otpp::server_ref<inc_server> ref, int calls) -> asio::awaitable<void> {
      for (int i = 0; i < calls; ++i) {
        const int r = co_await otpp::async_call(ref, inc_server::inc{i}, asio::use_awaitable);
        check(r == i + 1, "W1 otpp reply");
      }
    };
    const auto start = bench_clock::now();
    asio::co_spawn(rt.get_executor(), client(server, n.calls), asio::use_future).get();
    report("W1", "otpp", threads, n.calls / seconds_since(start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    floor_server server(pool.context());
    auto client = [](floor_server& s, int calls) -> asio::awaitable<void> {
      for (int i = 0; i < calls; ++i) {
        const int r = co_await floor_async_inc(s, i, asio::use_awaitable);
        check(r == i + 1, "W1 floor reply");
      }
    };
    const auto start = bench_clock::now();
    asio::co_spawn(pool.context(), client(server, n.calls), asio::use_future).get();
    report("W1", "floor", threads, n.calls / seconds_since(start), "ops/s");
  }
}

// ---- W8: call round trip from a blocking plain thread -------------------------------

void w8(unsigned threads, const sizes& n) {
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    auto server = otpp::start<inc_server>(rt);
    const auto start = bench_clock::now();
    for (int i = 0; i < n.calls; ++i) check(otpp::call(server, inc_server::inc{i}) == i + 1, "W8 otpp reply");
    report("W8", "otpp", threads, n.calls / seconds_since(start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    floor_server server(pool.context());
    const auto start = bench_clock::now();
    for (int i = 0; i < n.calls; ++i)
      check(floor_blocking_call(server, [i] { return i + 1; }) == i + 1, "W8 floor reply");
    report("W8", "floor", threads, n.calls / seconds_since(start), "ops/s");
  }
}

// ---- W2: casts from one plain thread, then one call ----------------------------------

void w2(unsigned threads, const sizes& n) {
  const std::int64_t expected = std::int64_t{n.casts} * (n.casts - 1) / 2;
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    auto server = otpp::start<sum_server>(rt);
    const auto start = bench_clock::now();
    for (int i = 0; i < n.casts; ++i) otpp::cast(server, sum_server::add{i});
    check(otpp::call(server, sum_server::total{}, otpp::infinity) == expected, "W2 otpp sum");
    report("W2", "otpp", threads, n.casts / seconds_since(start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    floor_server server(pool.context());
    const auto start = bench_clock::now();
    for (int i = 0; i < n.casts; ++i) asio::post(server.strand, [&server, i] { server.state += i; });
    check(floor_blocking_call(server, [&server] { return server.state; }) == expected, "W2 floor sum");
    report("W2", "floor", threads, n.casts / seconds_since(start), "ops/s");
  }
}

// ---- W3: fan-in, many client processes calling one server ----------------------------

void w3(unsigned threads, const sizes& n) {
  const double total = double(n.fan_in_clients) * n.fan_in_calls;
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    auto server = otpp::start<inc_server>(rt);
    const auto start = bench_clock::now();
    std::vector<otpp::task<int>> clients;  // each client is a process
    clients.reserve(static_cast<std::size_t>(n.fan_in_clients));
    for (int c = 0; c < n.fan_in_clients; ++c)
      clients.push_back(otpp::async(rt, [server, calls = n.fan_in_calls]() -> otpp::awaitable<int> {
        int ok = 0;
        for (int i = 0; i < calls; ++i)
          ok += (co_await otpp::async_call(server, inc_server::inc{i}, otpp::infinity, asio::use_awaitable)) == i + 1;
        co_return ok;
      }));
    for (auto& t : clients) check(otpp::await(t, otpp::infinity) == n.fan_in_calls, "W3 otpp replies");
    report("W3", "otpp", threads, total / seconds_since(start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    floor_server server(pool.context());
    const auto start = bench_clock::now();
    std::vector<std::future<int>> clients;
    clients.reserve(static_cast<std::size_t>(n.fan_in_clients));
    for (int c = 0; c < n.fan_in_clients; ++c)
      clients.push_back(asio::co_spawn(
          asio::make_strand(pool.context()),
          [&server, calls = n.fan_in_calls]() -> asio::awaitable<int> {
            int ok = 0;
            for (int i = 0; i < calls; ++i) ok += (co_await floor_async_inc(server, i, asio::use_awaitable)) == i + 1;
            co_return ok;
          },
          asio::use_future));
    for (auto& f : clients) check(f.get() == n.fan_in_calls, "W3 floor replies");
    report("W3", "floor", threads, total / seconds_since(start), "ops/s");
  }
}

// ---- W4: spawn, memory, stop ---------------------------------------------------------

void w4(unsigned threads, const sizes& n) {
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    std::vector<otpp::server_ref<idle_server>> refs;  // the handles count too
    refs.reserve(static_cast<std::size_t>(n.servers));
    const std::size_t before = baseline_rss();
    const auto start = bench_clock::now();
    for (int i = 0; i < n.servers; ++i) refs.push_back(otpp::start<idle_server>(rt));  // returns after init
    report("W4s", "otpp", threads, n.servers / seconds_since(start), "ops/s");
    report("W4m", "otpp", threads, double(rss_bytes() - before) / n.servers, "B");
    check(rt.process_count() == static_cast<std::size_t>(n.servers), "W4 otpp all alive");
    const auto stop_start = bench_clock::now();
    for (const auto& r : refs) otpp::exit(r.pid(), otpp::shutdown);
    while (rt.process_count() != 0) std::this_thread::yield();
    report("W4x", "otpp", threads, n.servers / seconds_since(stop_start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    std::vector<std::unique_ptr<floor_server>> kept;
    kept.reserve(static_cast<std::size_t>(n.servers));
    const std::size_t before = baseline_rss();
    const auto start = bench_clock::now();
    std::latch inits(n.servers);
    for (int i = 0; i < n.servers; ++i) {
      kept.push_back(std::make_unique<floor_server>(pool.context()));
      asio::post(kept.back()->strand, [&inits] { inits.count_down(); });  // its "init"
    }
    inits.wait();
    report("W4s", "floor", threads, n.servers / seconds_since(start), "ops/s");
    report("W4m", "floor", threads, double(rss_bytes() - before) / n.servers, "B");
    const auto stop_start = bench_clock::now();
    kept.clear();
    report("W4x", "floor", threads, n.servers / seconds_since(stop_start), "ops/s");
  }
}

// ---- W5: ring ------------------------------------------------------------------------

struct ring_node : otpp::gen_server<ring_node> {
  struct link_to {
    using reply_type = void;
    otpp::server_ref<ring_node> next;
  };
  struct token {
    int hops_left;
  };
  explicit ring_node(std::promise<void>* done) : done_(done) {}
  void handle_call(link_to l) { next_ = std::move(l.next); }
  void handle_cast(token t) {
    if (t.hops_left == 0) {
      done_->set_value();
      return;
    }
    otpp::cast(next_, token{t.hops_left - 1});
  }
  std::promise<void>* done_;
  otpp::server_ref<ring_node> next_;
};

void w5(unsigned threads, const sizes& n) {
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    std::promise<void> done;
    std::vector<otpp::server_ref<ring_node>> ring;
    for (int i = 0; i < n.ring_size; ++i) ring.push_back(otpp::start<ring_node>(rt, &done));
    for (int i = 0; i < n.ring_size; ++i) otpp::call(ring[i], ring_node::link_to{ring[(i + 1) % n.ring_size]});
    const auto start = bench_clock::now();
    otpp::cast(ring[0], ring_node::token{n.ring_hops});
    done.get_future().get();
    report("W5", "otpp", threads, n.ring_hops / seconds_since(start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    struct node {
      strand_type strand;
      node* next = nullptr;
    };
    std::vector<std::unique_ptr<node>> ring;
    for (int i = 0; i < n.ring_size; ++i) ring.push_back(std::make_unique<node>(node{asio::make_strand(pool.context())}));
    for (int i = 0; i < n.ring_size; ++i) ring[i]->next = ring[(i + 1) % n.ring_size].get();
    std::promise<void> done;
    std::function<void(node*, int)> pass = [&](node* at, int hops_left) {
      asio::post(at->strand, [&, at, hops_left] {
        if (hops_left == 0) {
          done.set_value();
          return;
        }
        pass(at->next, hops_left - 1);
      });
    };
    const auto start = bench_clock::now();
    pass(ring[0].get(), n.ring_hops);
    done.get_future().get();
    report("W5", "floor", threads, n.ring_hops / seconds_since(start), "ops/s");
  }
}

// ---- W6: skynet ------------------------------------------------------------------------

// A node of the tree is a task process: a leaf returns its number, an inner
// node starts its 10 children (linked tasks) and sums what they return.
otpp::awaitable<std::int64_t> skynet_otpp(int levels, std::int64_t number) {
  std::vector<otpp::task<std::int64_t>> children;
  children.reserve(10);
  for (int i = 0; i < 10; ++i) {
    const std::int64_t child = number * 10 + i;
    if (levels == 1) children.push_back(otpp::async([child] { return child; }));  // a leaf
    else children.push_back(otpp::async([levels, child] { return skynet_otpp(levels - 1, child); }));
  }
  std::int64_t sum = 0;
  for (auto& c : children) sum += co_await otpp::async_await(c, otpp::infinity, asio::use_awaitable);
  co_return sum;
}

// The floor's node: a strand that collects its children's numbers.
struct skynet_floor_node {
  strand_type strand;
  std::int64_t sum = 0;
  int pending = 10;
  std::function<void(std::int64_t)> report_to_parent;
};

void skynet_floor(asio::io_context& ioc, int levels, std::int64_t number, std::function<void(std::int64_t)> up) {
  if (levels == 0) {
    asio::post(ioc, [up = std::move(up), number] { up(number); });
    return;
  }
  auto node = std::make_shared<skynet_floor_node>(skynet_floor_node{asio::make_strand(ioc), 0, 10, std::move(up)});
  for (int i = 0; i < 10; ++i)
    asio::post(ioc, [&ioc, node, levels, child = number * 10 + i] {
      skynet_floor(ioc, levels - 1, child, [node](std::int64_t v) {
        asio::post(node->strand, [node, v] {
          node->sum += v;
          if (--node->pending == 0) node->report_to_parent(node->sum);
        });
      });
    });
}

void w6(unsigned threads, const sizes& n) {
  std::int64_t leaves = 1;
  for (int i = 0; i < n.skynet_levels; ++i) leaves *= 10;
  const std::int64_t expected = leaves * (leaves - 1) / 2;
  if (runs("otpp")) {
    otpp::runtime rt{with_workers(threads)};
    const auto start = bench_clock::now();
    auto root = otpp::async(rt, [levels = n.skynet_levels] { return skynet_otpp(levels, 0); });
    check(otpp::await(root, otpp::infinity) == expected, "W6 otpp sum");
    report("W6", "otpp", threads, leaves / seconds_since(start), "ops/s");
  }
  if (runs("floor")) {
    floor_pool pool(threads);
    std::promise<std::int64_t> sum;
    const auto start = bench_clock::now();
    skynet_floor(pool.context(), n.skynet_levels, 0, [&sum](std::int64_t v) { sum.set_value(v); });
    check(sum.get_future().get() == expected, "W6 floor sum");
    report("W6", "floor", threads, leaves / seconds_since(start), "ops/s");
  }
}

// ---- W7: restart latency under a supervisor ---------------------------------------------

// W7's client is a process, as Erlang's is: the restarted child's init sends
// it `incarnation`, and it then calls the child. W7t is the same with a plain
// thread as the client (as CAF's scoped_actor), which adds that thread's
// wake-ups by the OS to every restart.
struct restart_client;
std::atomic<int> incarnations{0};
otpp::server_ref<restart_client> w7_client;  // set before the first crash, read by inits after it

struct incarnation {};

struct crashy : otpp::gen_server<crashy> {
  struct get {
    using reply_type = int;
  };
  struct crash {};
  void init();
  int handle_call(get) { return 7; }
  void handle_cast(crash) { throw std::runtime_error("crash on purpose"); }
};

struct restart_client : otpp::gen_server<restart_client> {
  struct go {
    int restarts;
    std::shared_ptr<std::promise<std::vector<double>>> done;
  };
  otpp::server_ref<crashy> child;
  int restarts = 0;
  std::shared_ptr<std::promise<std::vector<double>>> done;
  std::vector<double> samples;
  bench_clock::time_point start;

  explicit restart_client(otpp::server_ref<crashy> c) : child(std::move(c)) {}
  void handle_cast(go g) {
    restarts = g.restarts;
    done = std::move(g.done);
    samples.reserve(static_cast<std::size_t>(restarts));
    crash_child();
  }
  void handle_info(incarnation) {
    check(otpp::call(child, crashy::get{}) == 7, "W7 restarted child answers");
    samples.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - start).count());
    if (static_cast<int>(samples.size()) == restarts) done->set_value(std::move(samples));
    else crash_child();
  }
  void crash_child() {
    start = bench_clock::now();
    otpp::cast(child, crashy::crash{});
  }
};

void crashy::init() {
  incarnations.fetch_add(1);
  incarnations.notify_all();
  if (w7_client) otpp::send(w7_client, incarnation{});
}

void report_latencies(std::string_view workload, unsigned threads, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  report(workload, "otpp", threads, samples[samples.size() / 2], "us");
  report(fmt::format("{}p99", workload), "otpp", threads, samples[samples.size() * 99 / 100], "us");
}

void w7(unsigned threads, const sizes& n) {
  if (!runs("otpp")) return;
  otpp::runtime rt{quiet(threads)};
  auto sup = otpp::start_supervisor(
      rt, {{.strategy = otpp::one_for_one, .max_restarts = 2 * n.restarts + 1, .max_seconds = std::chrono::hours(1)},
           {otpp::child_spec_for<crashy>(otpp::name{"crashy"})}});
  otpp::server_ref<crashy> child(rt, otpp::name{"crashy"});

  w7_client = otpp::start<restart_client>(rt, child);
  auto done = std::make_shared<std::promise<std::vector<double>>>();
  auto samples = done->get_future();
  otpp::cast(w7_client, restart_client::go{n.restarts, done});
  report_latencies("W7", threads, samples.get());
  otpp::stop(w7_client);
  w7_client = {};  // the client has stopped: no init runs now

  std::vector<double> thread_samples;
  thread_samples.reserve(static_cast<std::size_t>(n.restarts));
  for (int i = 0; i < n.restarts; ++i) {
    const int before = incarnations.load();
    const auto start = bench_clock::now();
    otpp::cast(child, crashy::crash{});
    incarnations.wait(before);  // until the restarted child's init has run
    check(otpp::call(child, crashy::get{}) == 7, "W7t restarted child answers");
    thread_samples.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - start).count());
  }
  check(otpp::count_children(sup).active == 1, "W7 one child");
  report_latencies("W7t", threads, std::move(thread_samples));
}

// ---- W9: parallelism ---------------------------------------------------------------------

// The fixed CPU job: `rounds` steps of Marsaglia's 32-bit xorshift
// (13/17/5) on the server's state, as in every system's W9.
std::uint32_t cpu_job(std::uint32_t x, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  return x;
}

constexpr std::uint32_t job_seed = 2463534242u;

struct cruncher : otpp::gen_server<cruncher> {
  struct job {
    int rounds;
  };
  struct done {
    using reply_type = std::pair<int, std::uint32_t>;  // jobs run, state
  };
  std::uint32_t state = job_seed;
  int jobs = 0;
  void handle_cast(job j) {
    state = cpu_job(state, j.rounds);
    ++jobs;
  }
  std::pair<int, std::uint32_t> handle_call(done) { return {jobs, state}; }
};

void w9(const sizes& n) {
  const double total = double(n.parallel_servers) * n.parallel_jobs;
  std::uint32_t expected = job_seed;  // every server runs the same jobs from the same seed
  for (int j = 0; j < n.parallel_jobs; ++j) expected = cpu_job(expected, n.job_rounds);
  const std::pair<int, std::uint32_t> confirmed{n.parallel_jobs, expected};
  for (unsigned threads : {1u, 2u}) {
    if (!runs("otpp")) break;
    otpp::runtime rt{with_workers(threads)};
    std::vector<otpp::server_ref<cruncher>> servers;
    for (int i = 0; i < n.parallel_servers; ++i) servers.push_back(otpp::start<cruncher>(rt));
    const auto start = bench_clock::now();
    for (int j = 0; j < n.parallel_jobs; ++j)
      for (const auto& s : servers) otpp::cast(s, cruncher::job{n.job_rounds});
    for (const auto& s : servers)
      check(otpp::call(s, cruncher::done{}, otpp::infinity) == confirmed, "W9 otpp jobs");
    report("W9", "otpp", threads, total / seconds_since(start), "ops/s");
  }
  for (unsigned threads : {1u, 2u}) {
    if (!runs("floor")) break;
    floor_pool pool(threads);
    std::vector<std::unique_ptr<floor_server>> servers;
    for (int i = 0; i < n.parallel_servers; ++i) {
      servers.push_back(std::make_unique<floor_server>(pool.context()));
      servers.back()->state = job_seed;
    }
    const auto start = bench_clock::now();
    for (int j = 0; j < n.parallel_jobs; ++j)
      for (auto& s : servers)
        asio::post(s->strand, [s = s.get(), rounds = n.job_rounds] {
          s->state = cpu_job(static_cast<std::uint32_t>(s->state), rounds);
        });
    for (auto& s : servers)
      check(floor_blocking_call(*s, [&s] { return s->state; }) == expected, "W9 floor jobs");
    report("W9", "floor", threads, total / seconds_since(start), "ops/s");
  }
}

}  // namespace

int main(int argc, char** argv) {
  sizes n;
  unsigned threads = 2;
  std::string_view only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      n = {1'000, 10'000, 10, 100, 1'000, 10, 1'000, 3, 100, 10, 10, 20'000};
    } else if (arg == "--quick") {
      n = {100'000, 1'000'000, 1'000, 100, 10'000, 1'000, 100'000, 5, 1'000, 1'000, 10, 20'000};
    } else if (arg.starts_with("--threads=")) {
      auto value = arg.substr(10);
      if (std::from_chars(value.data(), value.data() + value.size(), threads).ec != std::errc() || threads == 0) {
        fmt::print(stderr, "bench_suite: --threads needs a positive number\n");
        return 2;
      }
    } else if (arg.starts_with("--only=")) {
      only = arg.substr(7);
    } else if (arg == "--system=otpp" || arg == "--system=floor") {
      only_system = arg.substr(9);
    } else {
      fmt::print(stderr, "usage: {} [--smoke | --quick] [--threads=N] [--only=WORKLOAD] [--system=otpp|floor]\n", argv[0]);
      return 2;
    }
  }
  const std::pair<std::string_view, std::function<void()>> workloads[] = {
      {"W1", [&] { w1(threads, n); }}, {"W2", [&] { w2(threads, n); }}, {"W3", [&] { w3(threads, n); }},
      {"W4", [&] { w4(threads, n); }}, {"W5", [&] { w5(threads, n); }}, {"W6", [&] { w6(threads, n); }},
      {"W7", [&] { w7(threads, n); }}, {"W8", [&] { w8(threads, n); }}, {"W9", [&] { w9(n); }},
  };
  for (const auto& [id, run] : workloads) {
    if (!id.starts_with(only) && !only.starts_with(id)) continue;
    fmt::print(stderr, "{}...\n", id);
    run();
  }
  return 0;
}
