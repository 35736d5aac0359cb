// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// bench_caf: the workloads of benchmarks/WORKLOADS.md written for CAF 0.17
// (the C++ Actor Framework, Debian 12's libcaf-dev), as a CAF user would
// write them. A "server" is an event-based actor; a plain thread talks to
// actors with anon_send (casts) or a scoped_actor (calls).
//
//   W1     call round trip: an event-based client chains request(...).then
//   W2     casts from a plain thread (anon_send), then one call to confirm
//   W3     fan-in: 1,000 event-based clients x 1,000 sequential requests
//   W4s    spawn 100,000 actors, timed until each one's init has run (each
//          init counts down a std::latch; CAF runs it on a scheduler thread
//          at the actor's first activation, not inside spawn)
//   W4m    RSS growth per idle actor, its caf::actor handle included
//   W4x    stop them (anon_send_exit, user_shutdown), timed until the actor
//          system counts no running actor (await_all_actors_done)
//   W5     ring of 1,000 actors, 1,000,000 hops of an int token
//   W6     skynet, 10-ary, 1,000,000 leaves; inner actors sum and report up
//   W7t    restart: CAF 0.17 has no supervisor, so a parent that traps exits
//          of its linked child respawns it; the child registers itself by
//          name. From a plain thread: crash the child, wait until the new
//          one's init has run, call it (scoped_actor). Median and p99 in us.
//          (W7, the same with an actor as the client, is not written for CAF.)
//   W8     blocking bridge: scoped_actor request + receive, sequentially
//   W9     1,000 actors x 100 casts of a CPU job (20,000 xorshift rounds),
//          then one call each to confirm; with 1 and with 2 threads
//
// Every ops/s cell is the median of 3 runs (W4: of each figure; W7t: the run
// with the median median), each run in its own caf::actor_system.
//
//   bench_caf                 full sizes, 2 scheduler threads
//   bench_caf --quick         sizes / 10
//   bench_caf --smoke         tiny sizes, one run per cell (for CI)
//   bench_caf --threads=N     scheduler.max-threads = N (default 2); W9 then
//                             runs with N only, otherwise with 1 and with 2
//   bench_caf --reps=N        the median of N runs per cell (default 3; give it after the size)
//   bench_caf --only=W1,W4    only the workloads whose id starts with one of these
//   bench_caf --policy=sharing  CAF's work-sharing scheduler instead of the
//                             default work-stealing one, reported as system
//                             `caf-sharing` (not a WORKLOADS.md system): idle
//                             work-stealing workers poll and sleep (50 us, then
//                             10 ms), which dominates W7 and W8
//
// Output: one `RESULT <workload> caf <threads> <value> <unit>` line per cell
// on stdout; progress goes to stderr.

#include "../common.hpp"  // check, bench_clock, seconds_since, rss_bytes, baseline_rss, median_of

#include <caf/all.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <exception>
#include <latch>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace bench;

// ---- sizes, the actor system, reporting ----------------------------------------

struct sizes {
  int calls = 1'000'000;           // W1
  int casts = 10'000'000;          // W2
  int clients = 1'000;             // W3
  int calls_per_client = 1'000;    // W3
  int servers = 100'000;           // W4
  int ring = 1'000;                // W5
  int hops = 1'000'000;            // W5
  std::int64_t leaves = 1'000'000; // W6, a power of 10
  int restarts = 10'000;           // W7
  int blocking_calls = 1'000'000;  // W8
  int workers = 1'000;             // W9
  int jobs_per_worker = 100;       // W9
  int rounds = 20'000;             // W9, the same in every mode: a job is a job
  int repetitions = 3;
};

// --policy=sharing (see the top of the file).
bool sharing_policy = false;

[[noreturn]] void fail(std::string_view what, const caf::error& e) {
  fmt::print(stderr, "benchmark failed: {}: {}\n", what, caf::to_string(e));
  std::abort();
}

// A caf::actor_system whose scheduler has `threads` worker threads. (CAF also
// runs a timer thread and a printer thread, idle here.)
class caf_runtime {
 public:
  explicit caf_runtime(unsigned threads) : system_(configure(config_, threads)) {
    check(system_.scheduler().num_workers() == threads, "scheduler.max-threads was applied");
  }
  caf::actor_system& sys() { return system_; }

 private:
  static caf::actor_system_config& configure(caf::actor_system_config& config, unsigned threads) {
    config.set("scheduler.max-threads", static_cast<int>(threads));
    if (sharing_policy) config.set("scheduler.policy", caf::atom("sharing"));
    return config;
  }
  caf::actor_system_config config_;  // outlives system_, which keeps a reference to it
  caf::actor_system system_;
};

void report(std::string_view workload, unsigned threads, double value, std::string_view unit) {
  const int decimals = unit == "us" ? 1 : 0;
  fmt::print("RESULT {} {} {} {:.{}f} {}\n", workload, sharing_policy ? "caf-sharing" : "caf", threads, value,
             decimals, unit);
  std::fflush(stdout);
}

// ---- the servers ---------------------------------------------------------------

// int -> int + 1; `get` answers how many calls it handled.
struct inc_state {
  std::int64_t handled = 0;
};

caf::behavior inc_server(caf::stateful_actor<inc_state>* self) {
  return {
      [self](int x) {
        ++self->state.handled;
        return x + 1;
      },
      [self](caf::get_atom) { return self->state.handled; },
  };
}

std::int64_t handled_by(caf::actor_system& sys, const caf::actor& server) {
  caf::scoped_actor self{sys, true};
  std::int64_t handled = -1;
  self->request(server, caf::infinite, caf::get_atom_v)
      .receive([&](std::int64_t n) { handled = n; }, [](caf::error& e) { fail("get handled", e); });
  return handled;
}

// ---- W1 and W3: event-based clients making sequential requests --------------------

struct client_state {
  caf::actor server;
  int next = 0;
  int calls = 0;
  std::latch* done = nullptr;
};
using client_actor = caf::stateful_actor<client_state>;

void request_next(client_actor* self) {
  auto& st = self->state;
  if (st.next == st.calls) {
    st.done->count_down();
    self->quit();
    return;
  }
  const int i = st.next++;
  self->request(st.server, caf::infinite, i).then([self, i](int reply) {
    check(reply == i + 1, "W1/W3 reply");
    request_next(self);
  });
}

caf::behavior client(client_actor* self, caf::actor server, int calls, std::latch* done) {
  self->state.server = std::move(server);
  self->state.calls = calls;
  self->state.done = done;
  request_next(self);
  return {};  // alive while a response is awaited; quits after the last one
}

double w1_call(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  auto server = rt.sys().spawn(inc_server);
  std::latch done(1);
  const auto start = bench_clock::now();
  rt.sys().spawn(client, server, n.calls, &done);
  done.wait();
  const double elapsed = seconds_since(start);
  check(handled_by(rt.sys(), server) == n.calls, "W1 server handled every call");
  return n.calls / elapsed;
}

double w3_fan_in(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  auto server = rt.sys().spawn(inc_server);
  std::latch done(n.clients);
  const auto start = bench_clock::now();
  for (int c = 0; c < n.clients; ++c) rt.sys().spawn(client, server, n.calls_per_client, &done);
  done.wait();
  const double elapsed = seconds_since(start);
  const std::int64_t total = std::int64_t{n.clients} * n.calls_per_client;
  check(handled_by(rt.sys(), server) == total, "W3 server handled every call");
  return static_cast<double>(total) / elapsed;
}

// ---- W2: casts from a plain thread ---------------------------------------------------

struct sum_state {
  std::int64_t sum = 0;
};

caf::behavior sum_server(caf::stateful_actor<sum_state>* self) {
  return {
      [self](int x) { self->state.sum += x; },
      [self](caf::get_atom) { return self->state.sum; },
  };
}

double w2_cast(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  auto server = rt.sys().spawn(sum_server);
  caf::scoped_actor self{rt.sys()};
  std::int64_t sum = -1;
  const auto start = bench_clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n.casts; ++i) caf::anon_send(server, i);
  });
  producer.join();
  self->request(server, caf::infinite, caf::get_atom_v)
      .receive([&](std::int64_t s) { sum = s; }, [](caf::error& e) { fail("W2 confirm", e); });
  const double elapsed = seconds_since(start);
  check(sum == std::int64_t{n.casts} * (n.casts - 1) / 2, "W2 sum");
  return n.casts / elapsed;
}

// ---- W4: spawn, memory, stop ---------------------------------------------------------

struct idle_state {
  std::int64_t value = 0;
};

caf::behavior idle_server(caf::stateful_actor<idle_state>* self, std::latch* started) {
  started->count_down();
  return {[self](caf::get_atom) { return self->state.value; }};
}

struct spawn_costs {
  double spawn_rate;  // W4s
  double bytes;       // W4m
  double stop_rate;   // W4x
};

spawn_costs w4_spawn(unsigned threads, int servers) {
  caf_runtime rt{threads};
  check(rt.sys().registry().running() == 0, "W4 no actor running before");
  std::vector<caf::actor> handles;  // the handles count too
  handles.reserve(static_cast<std::size_t>(servers));
  std::latch started(servers);
  const std::size_t before = baseline_rss();

  const auto spawn_start = bench_clock::now();
  for (int i = 0; i < servers; ++i) handles.push_back(rt.sys().spawn(idle_server, &started));
  started.wait();
  const double spawn_elapsed = seconds_since(spawn_start);
  const std::size_t after = rss_bytes();

  check(rt.sys().registry().running() == static_cast<std::size_t>(servers), "W4 all actors running");
  {
    caf::scoped_actor self{rt.sys(), true};  // hidden: not counted as running
    std::int64_t value = -1;
    self->request(handles.back(), caf::infinite, caf::get_atom_v)
        .receive([&](std::int64_t v) { value = v; }, [](caf::error& e) { fail("W4 get", e); });
    check(value == 0, "W4 an actor answers");
  }

  const auto stop_start = bench_clock::now();
  for (const auto& h : handles) caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  handles.clear();
  rt.sys().await_all_actors_done();
  const double stop_elapsed = seconds_since(stop_start);
  check(rt.sys().registry().running() == 0, "W4 all actors gone");

  return {servers / spawn_elapsed, static_cast<double>(after - before) / servers, servers / stop_elapsed};
}

// ---- W5: ring ---------------------------------------------------------------------------

struct ring_state {
  caf::actor next;
};

caf::behavior ring_node(caf::stateful_actor<ring_state>* self, int index, std::atomic<int>* last,
                        std::latch* done) {
  return {
      [self](caf::actor next) { self->state.next = std::move(next); },
      [self, index, last, done](int remaining) {  // hops still to make, this one included
        if (remaining == 1) {
          last->store(index);
          done->count_down();
          return;
        }
        self->send(self->state.next, remaining - 1);
      },
  };
}

double w5_ring(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  std::atomic<int> last{-1};
  std::latch done(1);
  std::vector<caf::actor> ring;
  ring.reserve(static_cast<std::size_t>(n.ring));
  for (int i = 0; i < n.ring; ++i) ring.push_back(rt.sys().spawn(ring_node, i, &last, &done));
  // Each node learns its successor before the token can reach it: these sends
  // are enqueued before the token exists.
  for (int i = 0; i < n.ring; ++i) caf::anon_send(ring[i], ring[(i + 1) % n.ring]);
  const auto start = bench_clock::now();
  caf::anon_send(ring[0], n.hops);
  done.wait();
  const double elapsed = seconds_since(start);
  check(last.load() == (n.hops - 1) % n.ring, "W5 the token stopped where it should");
  for (const auto& node : ring) caf::anon_send_exit(node, caf::exit_reason::user_shutdown);  // a cycle of handles
  return n.hops / elapsed;
}

// ---- W6: skynet -------------------------------------------------------------------------

struct skynet_state {
  std::int64_t sum = 0;
  int pending = 10;
};

caf::behavior skynet(caf::stateful_actor<skynet_state>* self, caf::actor parent, std::int64_t num,
                     std::int64_t size) {
  if (size == 1) {
    self->send(parent, num);
    return {};  // no behavior: the leaf terminates
  }
  const std::int64_t child_size = size / 10;
  const auto me = caf::actor_cast<caf::actor>(self);
  for (std::int64_t i = 0; i < 10; ++i) self->spawn(skynet, me, num + i * child_size, child_size);
  return {
      [self, parent](std::int64_t part) {
        self->state.sum += part;
        if (--self->state.pending == 0) {
          self->send(parent, self->state.sum);
          self->quit();
        }
      },
  };
}

double w6_skynet(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  caf::scoped_actor self{rt.sys()};
  std::int64_t sum = -1;
  const auto start = bench_clock::now();
  rt.sys().spawn(skynet, caf::actor_cast<caf::actor>(self), std::int64_t{0}, n.leaves);
  self->receive([&](std::int64_t s) { sum = s; });
  const double elapsed = seconds_since(start);
  check(sum == n.leaves * (n.leaves - 1) / 2, "W6 skynet sum");
  return static_cast<double>(n.leaves) / elapsed;
}

// ---- W7: restart ------------------------------------------------------------------------

// Counts inits of `crashy`, so that the requester can sleep until a restart.
std::atomic<int> incarnations{0};
constexpr caf::atom_value crashy_name = caf::atom("crashy");

// A child that answers `get` with 7 and crashes (throws) on `delete`.
caf::behavior crashy(caf::event_based_actor* self) {
  // An exception escaping a handler ends the actor with the returned error.
  // CAF's default handler would also print a report per crash: keep it quiet.
  self->set_exception_handler(
      [](caf::scheduled_actor*, std::exception_ptr&) -> caf::error { return caf::sec::runtime_error; });
  // CAF 0.17's registry never replaces a name (put is an emplace) and keeps
  // a dead actor under it: the new incarnation erases the old entry first.
  auto& registry = self->system().registry();
  registry.erase(crashy_name);
  registry.put(crashy_name, self);
  incarnations.fetch_add(1);
  incarnations.notify_all();
  return {
      [](caf::get_atom) { return 7; },
      [](caf::delete_atom) { throw std::runtime_error("crash on purpose"); },
  };
}

struct parent_state {
  caf::actor child;
  int restarts = 0;
};

// What a CAF 0.17 user writes for a one-child supervisor: link the child and
// trap its exit (an exit handler); restart it when it dies, and go down with
// any other exit message (which the link then takes to the child).
caf::behavior parent(caf::stateful_actor<parent_state>* self) {
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.source != self->state.child.address()) {
      self->quit(msg.reason);
      return;
    }
    check(msg.reason == caf::sec::runtime_error, "W7 the child crashed");
    ++self->state.restarts;
    self->state.child = self->spawn<caf::linked>(crashy);
  });
  self->state.child = self->spawn<caf::linked>(crashy);
  return {[self](caf::get_atom) { return self->state.restarts; }};
}

struct latency {
  double median_us;
  double p99_us;
};

latency w7_restart(unsigned threads, int restarts) {
  caf_runtime rt{threads};
  incarnations.store(0);
  auto sup = rt.sys().spawn(parent);
  incarnations.wait(0);  // the first child is up
  caf::scoped_actor self{rt.sys()};
  auto& registry = rt.sys().registry();
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(restarts));
  for (int i = 0; i < restarts; ++i) {
    const int before = incarnations.load();
    const auto start = bench_clock::now();
    caf::anon_send(registry.get<caf::actor>(crashy_name), caf::delete_atom_v);
    incarnations.wait(before);  // until the restarted child's init has run
    int answer = 0;
    self->request(registry.get<caf::actor>(crashy_name), caf::infinite, caf::get_atom_v)
        .receive([&](int a) { answer = a; }, [](caf::error& e) { fail("W7 call the new child", e); });
    samples.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - start).count());
    check(answer == 7, "W7 the restarted child answers");
  }
  int restarted = -1;
  self->request(sup, caf::infinite, caf::get_atom_v)
      .receive([&](int r) { restarted = r; }, [](caf::error& e) { fail("W7 count restarts", e); });
  check(restarted == restarts, "W7 one restart per crash");
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);  // the link takes the child down too
  registry.erase(crashy_name);
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 99 / 100]};
}

// ---- W8: blocking bridge ----------------------------------------------------------------

double w8_blocking(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  auto server = rt.sys().spawn(inc_server);
  caf::scoped_actor self{rt.sys()};
  const auto start = bench_clock::now();
  for (int i = 0; i < n.blocking_calls; ++i) {
    int reply = -1;
    self->request(server, caf::infinite, i)
        .receive([&](int r) { reply = r; }, [](caf::error& e) { fail("W8 call", e); });
    check(reply == i + 1, "W8 reply");
  }
  return n.blocking_calls / seconds_since(start);
}

// ---- W9: parallelism ----------------------------------------------------------------------

// `rounds` steps of Marsaglia's 32-bit xorshift (13/17/5), the job of every
// system's W9 (Erlang's integers stay small in 32 bits).
std::uint64_t xorshift_job(std::uint64_t seed, int rounds) {
  auto x = static_cast<std::uint32_t>(seed);
  for (int r = 0; r < rounds; ++r) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  return x;
}

std::uint64_t job_seed(int worker, int job, int jobs_per_worker) {
  return static_cast<std::uint64_t>(worker) * static_cast<std::uint64_t>(jobs_per_worker) +
         static_cast<std::uint64_t>(job) + 1;  // never 0, xorshift's fixed point
}

struct worker_state {
  int jobs = 0;
  std::uint64_t sum = 0;
};

caf::behavior worker(caf::stateful_actor<worker_state>* self, int rounds) {
  return {
      [self, rounds](std::uint64_t seed) {
        self->state.sum += xorshift_job(seed, rounds);
        ++self->state.jobs;
      },
      [self](caf::get_atom) { return std::make_tuple(self->state.jobs, self->state.sum); },
  };
}

struct parallel_run {
  double rate;
  double seconds;
};

parallel_run w9_parallel(unsigned threads, const sizes& n) {
  caf_runtime rt{threads};
  std::vector<caf::actor> workers;
  workers.reserve(static_cast<std::size_t>(n.workers));
  for (int w = 0; w < n.workers; ++w) workers.push_back(rt.sys().spawn(worker, n.rounds));
  caf::scoped_actor self{rt.sys()};
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(n.workers));
  const auto start = bench_clock::now();
  for (int j = 0; j < n.jobs_per_worker; ++j)
    for (int w = 0; w < n.workers; ++w) caf::anon_send(workers[w], job_seed(w, j, n.jobs_per_worker));
  for (int w = 0; w < n.workers; ++w) {
    int jobs = -1;
    self->request(workers[w], caf::infinite, caf::get_atom_v)
        .receive(
            [&](int done, std::uint64_t sum) {
              jobs = done;
              sums[w] = sum;
            },
            [](caf::error& e) { fail("W9 confirm", e); });
    check(jobs == n.jobs_per_worker, "W9 every job ran");
  }
  const double elapsed = seconds_since(start);
  // Recompute a sample of the workers' sums here (all of them would take as
  // long as the 1-thread run).
  for (int w = 0; w < n.workers; w += std::max(1, n.workers / 10)) {
    std::uint64_t expected = 0;
    for (int j = 0; j < n.jobs_per_worker; ++j) expected += xorshift_job(job_seed(w, j, n.jobs_per_worker), n.rounds);
    check(sums[w] == expected, "W9 a worker's sum");
  }
  const double total_jobs = static_cast<double>(n.workers) * n.jobs_per_worker;
  return {total_jobs / elapsed, elapsed};
}

}  // namespace

int main(int argc, char** argv) {
  sizes n;
  unsigned threads = 2;
  bool threads_given = false;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      n = {1'000, 10'000, 10, 10, 1'000, 10, 1'000, 1'000, 100, 1'000, 10, 10, 20'000, 1};
    } else if (arg == "--quick") {
      n = {100'000, 1'000'000, 1'000, 100, 10'000, 1'000, 100'000, 100'000, 1'000, 100'000, 1'000, 10, 20'000, 3};
    } else if (arg.starts_with("--threads=")) {
      const std::string_view value = arg.substr(10);
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
      if (ec != std::errc{} || end != value.data() + value.size() || threads == 0) {
        fmt::print(stderr, "bad thread count: {}\n", value);
        return 2;
      }
      threads_given = true;
    } else if (arg.starts_with("--reps=")) {
      const std::string_view value = arg.substr(7);
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n.repetitions);
      if (ec != std::errc{} || end != value.data() + value.size() || n.repetitions <= 0) {
        fmt::print(stderr, "bad repetition count: {}\n", value);
        return 2;
      }
    } else if (arg == "--policy=sharing" || arg == "--policy=stealing") {
      sharing_policy = arg == "--policy=sharing";
    } else if (arg.starts_with("--only=")) {
      std::string_view list = arg.substr(7);
      while (!list.empty()) {
        const auto comma = list.find(',');
        only.emplace_back(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else {
      fmt::print(stderr, "usage: {} [--smoke | --quick] [--threads=N] [--reps=N] [--only=W1,W2,...] [--policy=sharing]\n", argv[0]);
      return 2;
    }
  }
  const auto selected = [&](std::string_view id) {
    return only.empty() || std::any_of(only.begin(), only.end(), [&](const std::string& p) { return id.starts_with(p); });
  };
  const auto progress = [&](std::string_view id, unsigned t) {
    fmt::print(stderr, "{} with {} thread(s)...\n", id, t);
  };

  if (selected("W1")) {
    progress("W1", threads);
    report("W1", threads, median_of(n.repetitions, [&] { return w1_call(threads, n); }), "ops/s");
  }
  if (selected("W2")) {
    progress("W2", threads);
    report("W2", threads, median_of(n.repetitions, [&] { return w2_cast(threads, n); }), "ops/s");
  }
  if (selected("W3")) {
    progress("W3", threads);
    report("W3", threads, median_of(n.repetitions, [&] { return w3_fan_in(threads, n); }), "ops/s");
  }
  if (selected("W4")) {
    progress("W4", threads);
    std::vector<double> spawn, bytes, stop;
    for (int r = 0; r < n.repetitions; ++r) {
      const spawn_costs c = w4_spawn(threads, n.servers);
      spawn.push_back(c.spawn_rate);
      bytes.push_back(c.bytes);
      stop.push_back(c.stop_rate);
    }
    const auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    report("W4s", threads, median(spawn), "ops/s");
    report("W4x", threads, median(stop), "ops/s");
    report("W4m", threads, median(bytes), "B");
  }
  if (selected("W5")) {
    progress("W5", threads);
    report("W5", threads, median_of(n.repetitions, [&] { return w5_ring(threads, n); }), "ops/s");
  }
  if (selected("W6")) {
    progress("W6", threads);
    report("W6", threads, median_of(n.repetitions, [&] { return w6_skynet(threads, n); }), "ops/s");
  }
  if (selected("W7")) {
    progress("W7", threads);
    std::vector<latency> runs;
    for (int r = 0; r < n.repetitions; ++r) runs.push_back(w7_restart(threads, n.restarts));
    std::sort(runs.begin(), runs.end(), [](const latency& a, const latency& b) { return a.median_us < b.median_us; });
    const latency mid = runs[runs.size() / 2];
    report("W7t", threads, mid.median_us, "us");
    report("W7tp99", threads, mid.p99_us, "us");
  }
  if (selected("W8")) {
    progress("W8", threads);
    report("W8", threads, median_of(n.repetitions, [&] { return w8_blocking(threads, n); }), "ops/s");
  }
  if (selected("W9")) {
    std::vector<unsigned> counts = threads_given ? std::vector<unsigned>{threads} : std::vector<unsigned>{1, 2};
    std::vector<double> times;
    for (unsigned t : counts) {
      progress("W9", t);
      std::vector<parallel_run> runs;
      for (int r = 0; r < n.repetitions; ++r) runs.push_back(w9_parallel(t, n));
      std::sort(runs.begin(), runs.end(), [](const parallel_run& a, const parallel_run& b) { return a.rate < b.rate; });
      report("W9", t, runs[runs.size() / 2].rate, "ops/s");
      times.push_back(runs[runs.size() / 2].seconds);
    }
    if (times.size() == 2)
      fmt::print("W9: the 2-thread run took {:.2f}x the 1-thread time (target: at most 0.55x)\n", times[1] / times[0]);
  }
  return 0;
}
