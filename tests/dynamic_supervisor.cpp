// Test that header file is self-contained.
#include <otpp/dynamic_supervisor.hpp>

// Tests of otpp::dynamic_supervisor, against Elixir's DynamicSupervisor
// (OTP's simple_one_for_one): children started on demand and kept by pid,
// max_children, terminate_child by pid, restarts by restart type within the
// restart intensity, failed restarts, and stopping every child at once.
//
// Conventions:
// - Catch2 v2 assertions are not thread-safe: only the test's own thread
//   asserts; children record what they see in a mutex-protected trace and
//   the test checks it afterwards.
// - Nothing sleeps to synchronise. A test waits for the supervisor to have
//   dealt with an exit by asking it (which_children, a call round trip)
//   until its answer changes, or for a death through a monitor's `down`.
//   Every wait is bounded by `safety` only so that a broken library fails
//   instead of hanging; it is never reached when the library works.
// - Children that log to a trace trap exits, so that their `terminate`
//   runs when their supervisor stops them; the others just die.
// - The children and the helpers shared with other test files (`safety`,
//   `eventually`, `trace`, `failure_of`, `watch` ...) are in support.hpp.
// - No test asserts how fast anything runs.

#include <otpp/child_spec.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/registry.hpp>
#include <otpp/runtime.hpp>
#include <otpp/supervisor.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support.hpp"

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using namespace otpp_test;  // support.hpp

// ---- children (worker, slow_stopper, ignorer, refuser: support.hpp) ----

// A worker, unnamed.
otpp::child_spec worker_spec(std::string tag = "w", std::shared_ptr<trace> log = nullptr,
                             otpp::restart_type restart = otpp::permanent, int value = 0) {
  otpp::child_spec s;
  s.start = [tag, log, value]() -> otpp::pid {
    return otpp::start_link<worker>(tag, value, log).pid();
  };
  s.restart = restart;
  return s;
}

otpp::server_ref<worker> ref(const otpp::pid& p) { return otpp::server_ref<worker>(p); }

// A trapping child whose terminate waits (polling a shared count on short
// timers) until `n` children are in their terminate, or gives up after
// `safety`; it records which happened.
struct rendezvous {
  std::atomic<int> arrived{0};
  int n = 0;
  trace log;
};
struct meeter : otpp::gen_server<meeter> {
  explicit meeter(std::shared_ptr<rendezvous> r) : r(std::move(r)) {}
  otpp::init_result init() {
    trap_exit();
    return otpp::ok();
  }
  otpp::awaitable<void> terminate(const otpp::exit_reason&) {
    r->arrived.fetch_add(1);
    const auto deadline = clock_type::now() + safety;
    asio::steady_timer t(get_executor());
    while (r->arrived.load() < r->n && clock_type::now() < deadline) {
      t.expires_after(1ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    r->log.add(r->arrived.load() >= r->n ? "together" : "alone");
  }
  std::shared_ptr<rendezvous> r;
};

// ---- looking at a dynamic supervisor ----

std::vector<otpp::pid> pids_of(const otpp::dynamic_supervisor_ref& sup) {
  std::vector<otpp::pid> out;
  for (auto& c : otpp::which_children(sup)) out.push_back(c.child);
  std::sort(out.begin(), out.end());
  return out;
}

bool has_child(const otpp::dynamic_supervisor_ref& sup, const otpp::pid& p) {
  auto all = pids_of(sup);
  return std::find(all.begin(), all.end(), p) != all.end();
}

// Waits until the supervisor has dealt with the exit of its child `old`.
void settled(const otpp::dynamic_supervisor_ref& sup, const otpp::pid& old) {
  REQUIRE(eventually([&] { return !has_child(sup, old); }));
}

// ======================================================================

TEST_CASE(
    "dynamic_supervisor: start_child returns the child's pid; which_children and "
    "count_children list the children",
    "[dynamic_supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt);
  CHECK(otpp::which_children(sup).empty());
  counts_are(otpp::count_children(sup), 0, 0, 0, 0);

  std::vector<otpp::pid> started;
  for (int i = 0; i < 3; ++i) {
    const otpp::pid p =
        otpp::start_child(sup, worker_spec(fmt::format("w{}", i), log, otpp::permanent, i));
    REQUIRE(p);
    CHECK(otpp::is_alive(p));
    CHECK(otpp::call(ref(p), worker::get{}) == i);
    started.push_back(p);
  }
  otpp::child_spec nested;
  nested.start = [] { return otpp::start_link_supervisor({}).pid(); };
  nested.type = otpp::child_type::supervisor;
  started.push_back(otpp::start_child(sup, nested));
  std::sort(started.begin(), started.end());

  CHECK(pids_of(sup) == started);
  for (auto& c : otpp::which_children(sup)) {
    CHECK(c.id.empty());
    CHECK_FALSE(c.restarting);
  }
  counts_are(otpp::count_children(sup), 4, 4, 1, 3);
  CHECK(log->take() == strings{"start w0", "start w1", "start w2"});
  CHECK(rt.process_count() == 5);
}

TEST_CASE("dynamic_supervisor: max_children bounds start_child", "[dynamic_supervisor]") {
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt, {.max_children = 2});
  const otpp::pid a = otpp::start_child(sup, worker_spec());
  otpp::start_child(sup, worker_spec());
  auto f = start_failure([&] { otpp::start_child(sup, worker_spec()); });
  REQUIRE(f.thrown);
  CHECK(f.code == otpp::errc::max_children);
  CHECK(rt.process_count() == 3);

  otpp::terminate_child(sup, a);  // room again
  CHECK(otpp::start_child(sup, worker_spec()));
  counts_are(otpp::count_children(sup), 2, 2, 0, 2);

  auto none = otpp::start_dynamic_supervisor(rt, {.max_children = 0});
  CHECK(start_failure([&] { otpp::start_child(none, worker_spec()); }).code ==
        otpp::errc::max_children);
}

TEST_CASE(
    "dynamic_supervisor: terminate_child stops a child by pid and forgets it; a stranger is "
    "not_found",
    "[dynamic_supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt);
  const otpp::pid a = otpp::start_child(sup, worker_spec("a", log));
  const otpp::pid b = otpp::start_child(sup, worker_spec("b", log));
  log->take();

  otpp::terminate_child(sup, a);
  CHECK_FALSE(otpp::is_alive(a));
  CHECK(log->take() == strings{"stop a shutdown"});
  CHECK(pids_of(sup) == std::vector<otpp::pid>{b});

  CHECK(failure_of([&] { otpp::terminate_child(sup, a); }).code == otpp::errc::not_found);
  auto stranger = otpp::start<worker>(rt, "stranger", 0, nullptr);
  CHECK(failure_of([&] { otpp::terminate_child(sup, stranger.pid()); }).code ==
        otpp::errc::not_found);
  CHECK(otpp::is_alive(stranger.pid()));
  CHECK(failure_of([&] { otpp::terminate_child(sup, otpp::pid()); }).code ==
        otpp::errc::not_found);
  CHECK(pids_of(sup) == std::vector<otpp::pid>{b});
}

TEST_CASE("dynamic_supervisor: a child's shutdown spec is honoured by terminate_child",
          "[dynamic_supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt);

  SECTION("brutal_kill: no terminate") {
    auto spec = worker_spec("b", log);
    spec.shutdown = otpp::brutal_kill;
    const otpp::pid p = otpp::start_child(sup, spec);
    auto down = watch(rt, p);
    log->take();
    otpp::terminate_child(sup, p);
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "killed");
    CHECK(log->take().empty());
  }

  SECTION("a terminate longer than the shutdown timeout is cut short by kill") {
    otpp::child_spec spec;
    spec.start = [log] { return otpp::start_link<slow_stopper>(log, std::chrono::hours(1)).pid(); };
    spec.shutdown = 50ms;
    const otpp::pid p = otpp::start_child(sup, spec);
    auto down = watch(rt, p);
    otpp::terminate_child(sup, p);
    CHECK_FALSE(otpp::is_alive(p));
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "killed");
    CHECK(log->take() == strings{"terminate begun"});
  }
}

TEST_CASE(
    "dynamic_supervisor: children restart by their restart type; those not restarted are "
    "forgotten",
    "[dynamic_supervisor]") {
  const auto restart = GENERATE(otpp::permanent, otpp::transient, otpp::temporary);
  const auto kind = GENERATE(exit_kind::normal, exit_kind::shutdown,
                             exit_kind::shutdown_with_detail, exit_kind::error, exit_kind::killed);
  const bool abnormal = kind == exit_kind::error || kind == exit_kind::killed;
  const bool restarts = restart == otpp::permanent || (restart == otpp::transient && abnormal);
  INFO("restart type " << static_cast<int>(restart) << ", exit " << name_of(kind));

  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt);
  const otpp::pid other = otpp::start_child(sup, worker_spec());
  const otpp::pid old = otpp::start_child(sup, worker_spec("w", nullptr, restart, 7));
  switch (kind) {
    case exit_kind::normal:
      otpp::call(ref(old), worker::die{otpp::normal});
      break;
    case exit_kind::shutdown:
      otpp::call(ref(old), worker::die{otpp::shutdown});
      break;
    case exit_kind::shutdown_with_detail:
      otpp::call(ref(old), worker::die{otpp::exit_reason::shutdown_with("x")});
      break;
    case exit_kind::error:
      otpp::call(ref(old), worker::die{otpp::exit_reason::error("boom")});
      break;
    case exit_kind::killed:
      otpp::exit(old, otpp::kill);
      break;
    case exit_kind::exception:  // not generated here
      break;
  }
  settled(sup, old);

  CHECK_FALSE(otpp::is_alive(old));
  const auto now = pids_of(sup);
  if (restarts) {
    REQUIRE(now.size() == 2);
    const otpp::pid fresh = now[0] == other ? now[1] : now[0];
    CHECK(fresh != old);
    CHECK(otpp::is_alive(fresh));
    CHECK(otpp::call(ref(fresh), worker::get{}) == 7);
    counts_are(otpp::count_children(sup), 2, 2, 0, 2);
  } else {
    CHECK(now == std::vector<otpp::pid>{other});
    counts_are(otpp::count_children(sup), 1, 1, 0, 1);
  }
  CHECK(otpp::is_alive(sup.pid()));
  CHECK(eventually([&] { return rt.process_count() == (restarts ? 3u : 2u); }));
}

TEST_CASE(
    "dynamic_supervisor: past its restart intensity it stops every child and exits with shutdown",
    "[dynamic_supervisor]") {
  const int max = GENERATE(0, 2);
  INFO("max_restarts " << max);
  const otpp::dynamic_supervisor_flags defaults;
  CHECK(defaults.max_restarts == 3);
  CHECK(defaults.max_seconds == 5s);

  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt, {.max_restarts = max});
  auto down = watch(rt, sup.pid());
  const otpp::pid bystander = otpp::start_child(sup, worker_spec("bystander", log));
  otpp::pid crasher = otpp::start_child(sup, worker_spec("crasher"));
  log->take();

  for (int i = 0; i < max; ++i) {
    otpp::call(ref(crasher), worker::die{otpp::exit_reason::error("boom")});
    settled(sup, crasher);
    const auto now = pids_of(sup);
    REQUIRE(now.size() == 2);
    crasher = now[0] == bystander ? now[1] : now[0];
  }
  CHECK(otpp::is_alive(sup.pid()));

  otpp::call(ref(crasher), worker::die{otpp::exit_reason::error("boom")});
  REQUIRE(arrives(down));
  CHECK(str(down.get().reason) == "shutdown");
  CHECK(log->take() == strings{"stop bystander shutdown"});
  CHECK_FALSE(otpp::is_alive(bystander));
  CHECK_FALSE(otpp::is_alive(crasher));
  CHECK(eventually([&] { return rt.process_count() == 1; }));  // the watcher
}

TEST_CASE("dynamic_supervisor: otpp::stop stops every child, with terminate, all at the same time",
          "[dynamic_supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto keep = otpp::start<worker>(rt, "bystander", 0, nullptr);
  const std::size_t before = rt.process_count();

  SECTION("terminate runs in each child") {
    auto sup = otpp::start_dynamic_supervisor(rt, otpp::name{"dyn"});
    CHECK(otpp::whereis(rt, "dyn") == sup.pid());
    std::vector<otpp::pid> children;
    for (int i = 0; i < 3; ++i) children.push_back(otpp::start_child(sup, worker_spec("c", log)));
    log->take();
    otpp::stop(otpp::dynamic_supervisor_ref(rt, otpp::name{"dyn"}));
    CHECK(log->take() == strings{"stop c shutdown", "stop c shutdown", "stop c shutdown"});
    for (auto& c : children) CHECK_FALSE(otpp::is_alive(c));
    CHECK_FALSE(otpp::is_alive(sup.pid()));
  }

  SECTION("every child is in its terminate at once (none waits for another's)") {
    auto r = std::make_shared<rendezvous>();
    r->n = 3;
    auto sup = otpp::start_dynamic_supervisor(rt);
    otpp::child_spec spec;
    spec.start = [r] { return otpp::start_link<meeter>(r).pid(); };
    spec.shutdown = otpp::infinity;
    for (int i = 0; i < r->n; ++i) otpp::start_child(sup, spec);
    otpp::stop(sup);
    CHECK(r->log.take() == strings{"together", "together", "together"});
  }

  CHECK(rt.process_count() == before);  // stop returns once they are counted out
  CHECK(otpp::call(keep, worker::get{}) == 0);
}

TEST_CASE(
    "dynamic_supervisor: start_child with ignore, a failing start, an invalid spec or a taken "
    "name",
    "[dynamic_supervisor]") {
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt);

  otpp::child_spec ignoring;
  ignoring.start = [] { return otpp::start_link<ignorer>().pid(); };
  CHECK_FALSE(otpp::start_child(sup, ignoring));
  counts_are(otpp::count_children(sup), 0, 0, 0, 0);

  otpp::child_spec refusing;
  refusing.start = [] { return otpp::start_link<refuser>().pid(); };
  auto f = start_failure([&] { otpp::start_child(sup, refusing); });
  REQUIRE(f.thrown);
  CHECK(f.code == otpp::errc::init_failed);
  CHECK(str(f.reason) == "nope");

  otpp::child_spec throwing;
  throwing.start = []() -> otpp::pid { throw std::runtime_error("no luck"); };
  f = start_failure([&] { otpp::start_child(sup, throwing); });
  CHECK(f.code == otpp::errc::init_failed);
  CHECK(contains(str(f.reason), "no luck"));

  CHECK(start_failure([&] { otpp::start_child(sup, otpp::child_spec{}); }).code ==
        otpp::errc::invalid_child_spec);

  auto holder = otpp::start<worker>(rt, otpp::name{"taken"}, "taken", 0, nullptr);
  otpp::child_spec clash;
  clash.start = [] {
    return otpp::start_link<worker>(otpp::name{"taken"}, "clash", 0, nullptr).pid();
  };
  f = start_failure([&] { otpp::start_child(sup, clash); });
  CHECK(f.code == otpp::errc::already_started);
  CHECK(f.holder == holder.pid());

  counts_are(otpp::count_children(sup), 0, 0, 0, 0);
  CHECK(rt.process_count() == 2);
}

TEST_CASE(
    "dynamic_supervisor: flags out of range fail its start; a taken name gives already_started",
    "[dynamic_supervisor]") {
  otpp::runtime rt(quiet());
  CHECK(start_failure([&] { otpp::start_dynamic_supervisor(rt, {.max_restarts = -1}); }).code ==
        otpp::errc::init_failed);
  CHECK(start_failure([&] { otpp::start_dynamic_supervisor(rt, {.max_seconds = 0s}); }).code ==
        otpp::errc::init_failed);
  CHECK(rt.process_count() == 0);

  auto sup = otpp::start_dynamic_supervisor(rt, otpp::name{"dyn"});
  auto f = start_failure([&] { otpp::start_dynamic_supervisor(rt, otpp::name{"dyn"}); });
  CHECK(f.code == otpp::errc::already_started);
  CHECK(f.holder == sup.pid());
}

TEST_CASE("dynamic_supervisor: a child whose restart fails shows as restarting and is retried",
          "[dynamic_supervisor]") {
  auto failing = std::make_shared<std::atomic<bool>>(false);
  otpp::runtime rt(quiet());
  // Each retry counts as a restart: allow plenty while the start is refused.
  auto sup = otpp::start_dynamic_supervisor(rt, {.max_restarts = 1'000'000});
  otpp::child_spec flaky;
  flaky.start = [failing]() -> otpp::pid {
    if (failing->load()) throw std::runtime_error("not now");
    return otpp::start_link<worker>("flaky", 5, nullptr).pid();
  };
  const otpp::pid old = otpp::start_child(sup, flaky);

  failing->store(true);
  otpp::call(ref(old), worker::die{otpp::exit_reason::error("boom")});
  REQUIRE(eventually([&] {
    auto all = otpp::which_children(sup);
    return all.size() == 1 && all[0].restarting;
  }));
  CHECK_FALSE(otpp::which_children(sup)[0].child);
  counts_are(otpp::count_children(sup), 1, 0, 0, 1);

  SECTION("it runs again once its start works") {
    failing->store(false);
    REQUIRE(eventually([&] {
      auto all = otpp::which_children(sup);
      return all.size() == 1 && all[0].child;
    }));
    const otpp::pid now = otpp::which_children(sup)[0].child;
    CHECK(now != old);
    CHECK(otpp::call(ref(now), worker::get{}) == 5);
    counts_are(otpp::count_children(sup), 1, 1, 0, 1);
  }

  SECTION(
      "terminate_child with its last pid forgets it, as DynamicSupervisor and simple_one_for_one "
      "do") {
    CHECK_FALSE(failure_of([&] { otpp::terminate_child(sup, old); }).thrown);
    CHECK(otpp::which_children(sup).empty());
  }
  // Leave nothing restarting when the runtime goes.
  failing->store(false);
  CHECK(eventually([&] {
    auto all = otpp::which_children(sup);
    return std::none_of(all.begin(), all.end(), [](auto& c) { return c.restarting; });
  }));
  CHECK(otpp::is_alive(sup.pid()));
}

TEST_CASE("dynamic_supervisor: under a supervisor, by name, stopped with its tree",
          "[dynamic_supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto root = otpp::start_supervisor(
      rt,
      {{}, {otpp::dynamic_supervisor_child_spec("dyn", {.max_children = 5}, otpp::name{"dyn"})}});
  const auto under = otpp::which_children(root);
  REQUIRE(under.size() == 1);
  CHECK(under[0].type == otpp::child_type::supervisor);
  otpp::dynamic_supervisor_ref dyn(rt, otpp::name{"dyn"});
  CHECK(dyn.pid() == under[0].child);
  otpp::start_child(dyn, worker_spec("x", log));
  otpp::start_child(dyn, worker_spec("y", log));
  counts_are(otpp::count_children(dyn), 2, 2, 0, 2);
  log->take();

  otpp::stop(root);
  auto stopped = log->take();
  std::sort(stopped.begin(), stopped.end());
  CHECK(stopped == strings{"stop x shutdown", "stop y shutdown"});
  CHECK(rt.process_count() == 0);  // stop returns once they are counted out
}

}  // namespace
