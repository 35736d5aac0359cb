// Test that header file is self-contained.
#include <otpp/supervisor.hpp>

// Tests of otpp::supervisor: restart types, strategies, restart intensity,
// shutdown specs, ignore and failed starts, the child management calls and
// their errors, nested supervisors, and a crash storm over a 1,000-child tree.
// Each test pins one OTP supervisor behaviour; where OTP's behaviour was not
// obvious it was checked against Erlang/OTP 25's supervisor.erl.
//
// Conventions:
// - Catch2 v2 assertions are not thread-safe: only the test's own thread
//   asserts; children and helper threads record what they see (a
//   mutex-protected trace, per-thread counters) and the test checks it
//   afterwards.
// - Nothing sleeps to synchronise. A test waits for the supervisor to have
//   dealt with an exit by asking it (which_children, a call round trip)
//   until its answer changes, or for a death through a monitor's `down`.
//   Every wait is bounded by `safety` only so that a broken library fails
//   instead of hanging; it is never reached when the library works.
// - Children that log to a trace trap exits, so that their `terminate`
//   runs when their supervisor stops them; the others just die.
// - The children and the helpers shared with other test files (`safety`,
//   `eventually`, `trace`, `failure_of`, `watch` ...) are in support.hpp.
// - Shutdown timeouts are short (50 ms) where a timeout is the point; no
//   test asserts how fast anything runs.

#include <otpp/child_spec.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/registry.hpp>
#include <otpp/runtime.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
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

// A worker registered under its id.
otpp::child_spec worker_spec(std::string id, std::shared_ptr<trace> log = nullptr,
                             otpp::restart_type restart = otpp::permanent, int value = 0) {
  otpp::child_spec s;
  s.id = id;
  s.start = [id, log, value]() -> otpp::pid {
    return otpp::start_link<worker>(otpp::name{id}, id, value, log).pid();
  };
  s.restart = restart;
  return s;
}

otpp::server_ref<worker> by_name(otpp::runtime& rt, const std::string& id) {
  return {rt, otpp::name{id}};
}

// A child whose start can be made to fail, to keep it `restarting`.
otpp::child_spec flaky_spec(std::string id, std::shared_ptr<std::atomic<bool>> failing) {
  otpp::child_spec s;
  s.id = id;
  s.start = [id, failing]() -> otpp::pid {
    if (failing->load()) throw std::runtime_error("not now");
    return otpp::start_link<worker>(otpp::name{id}, id, 0, nullptr).pid();
  };
  return s;
}

otpp::child_spec ignorer_spec(std::string id, otpp::restart_type restart = otpp::permanent) {
  otpp::child_spec s;
  s.id = std::move(id);
  s.start = [] { return otpp::start_link<ignorer>().pid(); };
  s.restart = restart;
  return s;
}

otpp::child_spec refuser_spec(std::string id) {
  otpp::child_spec s;
  s.id = std::move(id);
  s.start = [] { return otpp::start_link<refuser>().pid(); };
  return s;
}

// ---- looking at a supervisor ----

std::optional<otpp::child_info> find_child(const std::vector<otpp::child_info>& children,
                                           std::string_view id) {
  for (auto& c : children)
    if (c.id == id) return c;
  return std::nullopt;
}

strings ids_of(const std::vector<otpp::child_info>& children) {
  strings out;
  for (auto& c : children) out.push_back(c.id);
  return out;
}

// The pids of the children, by id.
std::map<std::string, otpp::pid> pids_of(const otpp::supervisor_ref& sup) {
  std::map<std::string, otpp::pid> out;
  for (auto& c : otpp::which_children(sup)) out[c.id] = c.child;
  return out;
}

// Waits until the supervisor has dealt with the exit of its child `id`
// whose pid was `old`: the child is gone, not running, or running anew.
// Returns what which_children then says of it.
std::optional<otpp::child_info> settled(const otpp::supervisor_ref& sup, std::string_view id,
                                        const otpp::pid& old) {
  std::optional<otpp::child_info> now;
  const bool done = eventually([&] {
    now = find_child(otpp::which_children(sup), id);
    return !now || now->child != old;
  });
  REQUIRE(done);
  return now;
}

// Waits until the child `id` runs under a pid other than `old`; returns it.
otpp::pid restarted(const otpp::supervisor_ref& sup, std::string_view id, const otpp::pid& old) {
  auto now = settled(sup, id, old);
  REQUIRE(now);
  REQUIRE(now->child);
  return now->child;
}

// ---- ways for a child to exit ----

bool abnormal(exit_kind k) {
  return k == exit_kind::error || k == exit_kind::exception || k == exit_kind::killed;
}

// Makes the worker registered as `id` exit the way `k` says.
void make_exit(otpp::runtime& rt, const std::string& id, exit_kind k) {
  auto ref = by_name(rt, id);
  switch (k) {
    case exit_kind::normal:
      otpp::call(ref, worker::die{otpp::normal});
      break;
    case exit_kind::shutdown:
      otpp::call(ref, worker::die{otpp::shutdown});
      break;
    case exit_kind::shutdown_with_detail:
      otpp::call(ref, worker::die{otpp::exit_reason::shutdown_with("x")});
      break;
    case exit_kind::error:
      otpp::call(ref, worker::die{otpp::exit_reason::error("boom")});
      break;
    case exit_kind::exception: {
      auto f = failure_of([&] { otpp::call(ref, worker::crash{}); });
      CHECK(f.code == otpp::errc::exited);
      break;
    }
    case exit_kind::killed:
      otpp::exit(ref.pid(), otpp::kill);
      break;
  }
}

// ======================================================================
// Restart types
// ======================================================================

TEST_CASE(
    "supervisor: permanent children always restart, transient ones only after an abnormal "
    "exit, temporary ones never and are forgotten",
    "[supervisor]") {
  const auto restart = GENERATE(otpp::permanent, otpp::transient, otpp::temporary);
  const auto kind =
      GENERATE(exit_kind::normal, exit_kind::shutdown, exit_kind::shutdown_with_detail,
               exit_kind::error, exit_kind::exception, exit_kind::killed);
  const char* restart_name = restart == otpp::permanent   ? "permanent"
                             : restart == otpp::transient ? "transient"
                                                          : "temporary";
  INFO(restart_name << " child, exit " << name_of(kind));
  const bool restarts =
      restart == otpp::permanent || (restart == otpp::transient && abnormal(kind));

  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(
      rt, {{}, {worker_spec("child", nullptr, restart, 7), worker_spec("sibling")}});
  const otpp::pid old = otpp::whereis(rt, "child");
  const otpp::pid sibling = otpp::whereis(rt, "sibling");
  REQUIRE(old);
  REQUIRE(sibling);

  make_exit(rt, "child", kind);
  const auto now = settled(sup, "child", old);

  CHECK_FALSE(otpp::is_alive(old));
  CHECK(failure_of([&] { otpp::call(otpp::server_ref<worker>(old), worker::get{}); }).code ==
        otpp::errc::noproc);
  if (restarts) {
    REQUIRE(now);
    REQUIRE(now->child);
    CHECK(now->child.id() != old.id());
    CHECK(otpp::is_alive(now->child));
    CHECK(otpp::whereis(rt, "child") == now->child);
    CHECK(otpp::call(by_name(rt, "child"), worker::get{}) == 7);
    counts_are(otpp::count_children(sup), 2, 2, 0, 2);
  } else if (restart == otpp::temporary) {
    CHECK_FALSE(now);  // forgotten
    CHECK_FALSE(otpp::whereis(rt, "child"));
    counts_are(otpp::count_children(sup), 1, 1, 0, 1);
  } else {
    REQUIRE(now);  // kept, not running, for restart_child
    CHECK_FALSE(now->child);
    CHECK_FALSE(now->restarting);
    CHECK_FALSE(otpp::whereis(rt, "child"));
    counts_are(otpp::count_children(sup), 2, 1, 0, 2);
  }
  CHECK(otpp::whereis(rt, "sibling") == sibling);  // one_for_one: the sibling is untouched
  CHECK(otpp::is_alive(sup.pid()));
  CHECK(eventually([&] { return rt.process_count() == (restarts ? 3u : 2u); }));
}

// Regression test for a bug it found: a process that received an exit
// signal through a link kept the dead process in its link set
// (process_base::handle_exit_signal, detail/process_base.hpp, checked
// `linked_to(from)` but never erased `from`), so a supervisor held a link,
// and with it a reference to the process control block, of every child
// that ever exited: its memory grew with each restart until it exited
// itself. In Erlang a link is gone once either end has exited. No public
// API shows it: the test reads the pid's internal reference count, which
// must drop to the test's own once nothing else holds the dead process.
TEST_CASE("supervisor: nothing keeps an exited child's process once it has been restarted",
          "[supervisor]") {
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("child")}});
  const otpp::pid old = otpp::whereis(rt, "child");
  otpp::call(by_name(rt, "child"), worker::die{otpp::exit_reason::error("boom")});
  restarted(sup, "child", old);
  const bool released = eventually([&] { return old.get()->refs.load() == 1; }, 1s);
  INFO("references to the dead child besides ours: " << old.get()->refs.load() - 1);
  CHECK(released);
}

// ======================================================================
// Strategies
// ======================================================================

TEST_CASE("supervisor: children start in order and which_children lists them newest first",
          "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{},
                                         {worker_spec("a", log), worker_spec("b", log),
                                          worker_spec("c", log), worker_spec("d", log)}});
  CHECK(log->take() == strings{"start a", "start b", "start c", "start d"});
  const auto children = otpp::which_children(sup);
  CHECK(ids_of(children) == strings{"d", "c", "b", "a"});
  for (auto& c : children) {
    CHECK(c.child == otpp::whereis(rt, c.id));
    CHECK(c.type == otpp::child_type::worker);
    CHECK_FALSE(c.restarting);
  }
  counts_are(otpp::count_children(sup), 4, 4, 0, 4);

  // Stopping the supervisor stops them newest first, with reason shutdown.
  otpp::stop(sup);
  CHECK(log->take() ==
        strings{"stop d shutdown", "stop c shutdown", "stop b shutdown", "stop a shutdown"});
  for (auto& c : children) CHECK_FALSE(otpp::is_alive(c.child));
  CHECK(rt.process_count() == 0);  // stop returns once they are counted out
}

TEST_CASE(
    "supervisor: one_for_one restarts the child alone, one_for_all all children, rest_for_one "
    "it and those started after it; others stop newest first, all start in order",
    "[supervisor]") {
  const auto strategy = GENERATE(otpp::one_for_one, otpp::one_for_all, otpp::rest_for_one);
  strings expected_log;
  strings expected_restarted;
  switch (strategy) {
    case otpp::strategy::one_for_one:
      expected_log = {"stop b boom", "start b"};
      expected_restarted = {"b"};
      break;
    case otpp::strategy::one_for_all:
      expected_log = {"stop b boom", "stop d shutdown", "stop c shutdown", "stop a shutdown",
                      "start a",     "start b",         "start c",         "start d"};
      expected_restarted = {"a", "b", "c", "d"};
      break;
    case otpp::strategy::rest_for_one:
      expected_log = {"stop b boom", "stop d shutdown", "stop c shutdown",
                      "start b",     "start c",         "start d"};
      expected_restarted = {"b", "c", "d"};
      break;
  }
  INFO("strategy " << static_cast<int>(strategy));

  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{.strategy = strategy},
                                         {worker_spec("a", log), worker_spec("b", log),
                                          worker_spec("c", log), worker_spec("d", log)}});
  log->take();
  const auto before = pids_of(sup);

  otpp::call(by_name(rt, "b"), worker::die{otpp::exit_reason::error("boom")});
  restarted(sup, "b", before.at("b"));

  CHECK(log->take() == expected_log);
  const auto after = pids_of(sup);
  strings changed;
  for (auto& [id, p] : after) {
    CHECK(otpp::is_alive(p));
    CHECK(otpp::whereis(rt, id) == p);
    if (p != before.at(id)) {
      changed.push_back(id);
      CHECK_FALSE(otpp::is_alive(before.at(id)));
    }
  }
  CHECK(changed == expected_restarted);
  CHECK(ids_of(otpp::which_children(sup)) == strings{"d", "c", "b", "a"});  // still in start order
  CHECK(eventually([&] { return rt.process_count() == 5; }));
}

TEST_CASE("supervisor: one_for_all and rest_for_one stop a temporary sibling and do not restart it",
          "[supervisor]") {
  const auto strategy = GENERATE(otpp::one_for_all, otpp::rest_for_one);
  INFO("strategy " << static_cast<int>(strategy));
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(
      rt, {{.strategy = strategy},
           {worker_spec("a", log), worker_spec("b", log), worker_spec("tmp", log, otpp::temporary),
            worker_spec("d", log)}});
  log->take();
  const auto before = pids_of(sup);
  otpp::call(by_name(rt, "b"), worker::die{otpp::exit_reason::error("boom")});
  restarted(sup, "b", before.at("b"));

  if (strategy == otpp::one_for_all)
    CHECK(log->take() == strings{"stop b boom", "stop d shutdown", "stop tmp shutdown",
                                 "stop a shutdown", "start a", "start b", "start d"});
  else
    CHECK(log->take() ==
          strings{"stop b boom", "stop d shutdown", "stop tmp shutdown", "start b", "start d"});
  CHECK(ids_of(otpp::which_children(sup)) == strings{"d", "b", "a"});
  CHECK_FALSE(otpp::is_alive(before.at("tmp")));
  CHECK_FALSE(otpp::whereis(rt, "tmp"));
}

TEST_CASE(
    "supervisor: one_for_all also restarts a sibling stopped with terminate_child, as OTP does",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(
      rt, {{.strategy = otpp::one_for_all},
           {worker_spec("a", log), worker_spec("b", log), worker_spec("c", log)}});
  otpp::terminate_child(sup, "c");
  log->take();
  const otpp::pid b = otpp::whereis(rt, "b");
  otpp::call(by_name(rt, "b"), worker::die{otpp::exit_reason::error("boom")});
  restarted(sup, "b", b);
  CHECK(log->take() == strings{"stop b boom", "stop a shutdown", "start a", "start b", "start c"});
  CHECK(otpp::is_alive(otpp::whereis(rt, "c")));
}

// ======================================================================
// Restart intensity
// ======================================================================

TEST_CASE(
    "supervisor: max_restarts restarts within max_seconds are allowed; one more stops the "
    "children and the supervisor exits with shutdown",
    "[supervisor]") {
  const int max = GENERATE(0, 1, 3);
  INFO("max_restarts " << max);
  otpp::supervisor_flags flags;  // the defaults are 3 restarts in 5 s, as Elixir's
  CHECK(flags.max_restarts == 3);
  CHECK(flags.max_seconds == 5s);
  CHECK(flags.strategy == otpp::one_for_one);
  flags.max_restarts = max;

  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup =
      otpp::start_supervisor(rt, {flags, {worker_spec("bystander", log), worker_spec("crasher")}});
  auto down = watch(rt, sup.pid());
  log->take();

  for (int i = 0; i < max; ++i) {
    const otpp::pid old = otpp::whereis(rt, "crasher");
    otpp::call(by_name(rt, "crasher"), worker::die{otpp::exit_reason::error("boom")});
    restarted(sup, "crasher", old);
  }
  CHECK(otpp::is_alive(sup.pid()));
  const otpp::pid bystander = otpp::whereis(rt, "bystander");
  const otpp::pid last = otpp::whereis(rt, "crasher");

  otpp::call(by_name(rt, "crasher"), worker::die{otpp::exit_reason::error("boom")});
  REQUIRE(arrives(down));
  CHECK(str(down.get().reason) == "shutdown");
  CHECK(log->take() == strings{"stop bystander shutdown"});
  CHECK_FALSE(otpp::is_alive(sup.pid()));
  CHECK_FALSE(otpp::is_alive(bystander));
  CHECK_FALSE(otpp::is_alive(last));
  CHECK_FALSE(otpp::whereis(rt, "crasher"));
  CHECK(eventually([&] { return rt.process_count() == 1; }));  // the watcher
}

TEST_CASE(
    "supervisor: a nested supervisor past its intensity is restarted by its parent with fresh "
    "children",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto root = otpp::start_supervisor(
      rt, {{},
           {worker_spec("uncle", log),
            otpp::supervisor_child_spec("sub", {{.max_restarts = 1}, {worker_spec("leaf")}})}});
  const otpp::pid uncle = otpp::whereis(rt, "uncle");
  const otpp::pid sub = pids_of(root).at("sub");
  otpp::cast(by_name(rt, "leaf"), worker::add{5});
  CHECK(otpp::call(by_name(rt, "leaf"), worker::get{}) == 5);

  // One restart is within the sub-supervisor's intensity; its parent sees nothing.
  otpp::pid leaf = otpp::whereis(rt, "leaf");
  otpp::call(by_name(rt, "leaf"), worker::die{otpp::exit_reason::error("boom")});
  REQUIRE(
      eventually([&] { return otpp::whereis(rt, "leaf") && otpp::whereis(rt, "leaf") != leaf; }));
  CHECK(pids_of(root).at("sub") == sub);

  // The second is not: the sub-supervisor exits with shutdown and the root restarts it.
  leaf = otpp::whereis(rt, "leaf");
  otpp::cast(by_name(rt, "leaf"), worker::add{5});
  otpp::call(by_name(rt, "leaf"), worker::die{otpp::exit_reason::error("boom")});
  const otpp::pid new_sub = restarted(root, "sub", sub);
  CHECK_FALSE(otpp::is_alive(sub));
  CHECK(otpp::is_alive(new_sub));
  const otpp::pid new_leaf = otpp::whereis(rt, "leaf");
  REQUIRE(new_leaf);
  CHECK(new_leaf != leaf);
  CHECK(otpp::call(by_name(rt, "leaf"), worker::get{}) == 0);  // fresh state
  CHECK(otpp::whereis(rt, "uncle") == uncle);                  // the rest of the tree is untouched
  CHECK(log->take() == strings{"start uncle"});
  CHECK(otpp::is_alive(root.pid()));
  CHECK(eventually([&] { return rt.process_count() == 4; }));
}

TEST_CASE(
    "supervisor: a sub-supervisor that fails to start while its parent restarts it is retried "
    "until it starts",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  auto failing = std::make_shared<std::atomic<bool>>(false);
  otpp::runtime rt(quiet());
  // Each retry counts as a restart of the sub-supervisor: allow plenty.
  auto root = otpp::start_supervisor(
      rt, {{.max_restarts = 1'000'000},
           {otpp::supervisor_child_spec(
               "sub", {{.max_restarts = 0}, {worker_spec("a", log), flaky_spec("b", failing)}})}});
  const otpp::pid sub = pids_of(root).at("sub");
  log->take();

  // `a` crashes: `sub` gives up at once; each time the root starts it again,
  // `a` starts, `b` refuses, and `sub` stops `a` and fails its start.
  failing->store(true);
  otpp::call(by_name(rt, "a"), worker::die{otpp::exit_reason::error("boom")});
  REQUIRE(eventually([&] {
    auto c = find_child(otpp::which_children(root), "sub");
    return c && c->restarting;
  }));
  failing->store(false);
  const otpp::pid new_sub = restarted(root, "sub", otpp::pid());
  CHECK(new_sub != sub);
  CHECK(otpp::is_alive(otpp::whereis(rt, "a")));
  CHECK(otpp::is_alive(otpp::whereis(rt, "b")));

  // Every attempt that started `a` stopped it again, but the last.
  const strings events = log->take();
  REQUIRE(events.size() >= 4);
  CHECK(events.front() == "stop a boom");
  bool paired = events.size() % 2 == 0 && events.back() == "start a";
  for (std::size_t i = 1; paired && i + 1 < events.size(); i += 2)
    paired = events[i] == "start a" && events[i + 1] == "stop a shutdown";
  CHECK(paired);
  CHECK(eventually([&] { return rt.process_count() == 4; }));
}

TEST_CASE("supervisor: killed, a supervisor takes its linked children with it", "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("trapping", log), worker_spec("plain")}});
  const otpp::pid trapping = otpp::whereis(rt, "trapping");
  auto down = watch(rt, otpp::whereis(rt, "plain"));
  log->take();
  otpp::exit(sup.pid(), otpp::kill);
  REQUIRE(arrives(down));
  CHECK(str(down.get().reason) == "killed");
  REQUIRE(eventually([&] { return !otpp::is_alive(trapping); }));
  CHECK(log->take() ==
        strings{"stop trapping killed"});  // the parent's exit signal: terminate runs
  CHECK(eventually([&] { return rt.process_count() == 1; }));  // the watcher
}

// Links to whoever asks, then crashes on request.
struct linker : otpp::gen_server<linker> {
  struct link_to {
    using reply_type = void;
    otpp::pid target;
  };
  struct crash {
    using reply_type = int;
  };
  void handle_call(link_to l) { otpp::link(l.target); }
  otpp::call_result<int> handle_call(crash) {
    return otpp::stop(otpp::exit_reason::error("boom"), 0);
  }
};

TEST_CASE("supervisor: an exit signal from a linked process that is not its child is ignored",
          "[supervisor]") {
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{.max_restarts = 0}, {worker_spec("a")}});
  const otpp::pid a = otpp::whereis(rt, "a");
  auto stranger = otpp::start<linker>(rt);
  otpp::call(stranger, linker::link_to{sup.pid()});
  auto down = watch(rt, stranger.pid());
  otpp::call(stranger, linker::crash{});
  REQUIRE(arrives(down));
  // The supervisor took the exit signal before this call; nothing changed.
  CHECK(pids_of(sup) == std::map<std::string, otpp::pid>{{"a", a}});
  CHECK(otpp::is_alive(sup.pid()));
}

// ======================================================================
// Shutdown
// ======================================================================

TEST_CASE("supervisor: how a child is stopped follows its shutdown spec", "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());

  SECTION(
      "a trapping child runs terminate(shutdown) on terminate_child; restart_child starts it "
      "again") {
    auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("a", log)}});
    const otpp::pid a = otpp::whereis(rt, "a");
    auto down = watch(rt, a);
    log->take();
    otpp::terminate_child(sup, "a");
    CHECK_FALSE(otpp::is_alive(a));  // terminate_child returns once the child is dead
    CHECK(log->take() == strings{"stop a shutdown"});
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "shutdown");
    auto info = find_child(otpp::which_children(sup), "a");
    REQUIRE(info);
    CHECK_FALSE(info->child);
    counts_are(otpp::count_children(sup), 1, 0, 0, 1);

    const otpp::pid again = otpp::restart_child(sup, "a");
    REQUIRE(again);
    CHECK(again != a);
    CHECK(otpp::whereis(rt, "a") == again);
    CHECK(log->take() == strings{"start a"});
  }

  SECTION("a child that does not trap exits dies at once with reason shutdown") {
    auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("plain")}});
    const otpp::pid p = otpp::whereis(rt, "plain");
    auto down = watch(rt, p);
    otpp::terminate_child(sup, "plain");
    CHECK_FALSE(otpp::is_alive(p));
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "shutdown");
  }

  SECTION("brutal_kill: killed at once, terminate does not run") {
    auto spec = worker_spec("brutal", log);
    spec.shutdown = otpp::brutal_kill;
    auto sup = otpp::start_supervisor(rt, {{}, {spec}});
    const otpp::pid p = otpp::whereis(rt, "brutal");
    auto down = watch(rt, p);
    log->take();
    otpp::terminate_child(sup, "brutal");
    CHECK_FALSE(otpp::is_alive(p));
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "killed");
    CHECK(log->take().empty());
  }

  SECTION(
      "a child whose terminate outlasts its shutdown timeout is killed, and terminate_child "
      "returns") {
    otpp::child_spec spec;
    spec.id = "slow";
    spec.start = [log] {
      return otpp::start_link<slow_stopper>(otpp::name{"slow"}, log, std::chrono::hours(1)).pid();
    };
    spec.shutdown = 50ms;
    auto sup = otpp::start_supervisor(rt, {{}, {spec}});
    const otpp::pid p = otpp::whereis(rt, "slow");
    auto down = watch(rt, p);
    otpp::terminate_child(sup, "slow");
    CHECK_FALSE(otpp::is_alive(p));
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "killed");
    CHECK(log->take() == strings{"terminate begun"});
  }

  SECTION("a shutdown of infinity waits for a terminate that takes a while") {
    otpp::child_spec spec;
    spec.id = "patient";
    spec.start = [log] {
      return otpp::start_link<slow_stopper>(otpp::name{"patient"}, log, 20ms).pid();
    };
    spec.shutdown = otpp::infinity;
    auto sup = otpp::start_supervisor(rt, {{}, {spec}});
    const otpp::pid p = otpp::whereis(rt, "patient");
    auto down = watch(rt, p);
    otpp::terminate_child(sup, "patient");
    CHECK_FALSE(otpp::is_alive(p));
    CHECK(log->take() == strings{"terminate begun", "terminate finished"});
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "shutdown");
  }

  SECTION("the supervisor's own stop applies each child's shutdown spec, newest first") {
    otpp::child_spec slow;
    slow.id = "slow";
    slow.start = [log] { return otpp::start_link<slow_stopper>(log, std::chrono::hours(1)).pid(); };
    slow.shutdown = 50ms;
    auto brutal = worker_spec("brutal", log);
    brutal.shutdown = otpp::brutal_kill;
    auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("first", log), slow, brutal}});
    const auto children = pids_of(sup);
    log->take();
    otpp::stop(sup);
    for (auto& [id, p] : children) CHECK_FALSE(otpp::is_alive(p));
    CHECK(log->take() == strings{"terminate begun", "stop first shutdown"});
  }
}

TEST_CASE("supervisor: the default shutdown is 5000 ms for a worker and infinity for a supervisor",
          "[supervisor]") {
  otpp::child_spec w;
  CHECK(w.shutdown.is_default());
  CHECK(w.effective_shutdown() == otpp::shutdown_spec(5000ms));
  otpp::child_spec s;
  s.type = otpp::child_type::supervisor;
  CHECK(s.effective_shutdown() == otpp::shutdown_spec(otpp::infinity));
  s.shutdown = otpp::brutal_kill;
  CHECK(s.effective_shutdown().is_brutal_kill());
  CHECK(otpp::supervisor_child_spec("x", {}).type == otpp::child_type::supervisor);
}

// ======================================================================
// ignore and failed starts
// ======================================================================

TEST_CASE(
    "supervisor: a start that returns ignore keeps a permanent spec not running and drops a "
    "temporary one",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(
      rt, {{},
           {worker_spec("a", log), ignorer_spec("kept"), ignorer_spec("dropped", otpp::temporary),
            worker_spec("b", log)}});
  CHECK(log->take() == strings{"start a", "start b"});
  const auto children = otpp::which_children(sup);
  CHECK(ids_of(children) == strings{"b", "kept", "a"});
  auto kept = find_child(children, "kept");
  REQUIRE(kept);
  CHECK_FALSE(kept->child);
  counts_are(otpp::count_children(sup), 3, 2, 0, 3);
  CHECK(rt.process_count() == 3);

  // restart_child of an ignoring child: no pid, no error.
  CHECK_FALSE(otpp::restart_child(sup, "kept"));
  // start_child likewise: kept unless temporary.
  CHECK_FALSE(otpp::start_child(sup, ignorer_spec("later")));
  CHECK_FALSE(otpp::start_child(sup, ignorer_spec("later_tmp", otpp::temporary)));
  CHECK(ids_of(otpp::which_children(sup)) == strings{"later", "b", "kept", "a"});
}

TEST_CASE(
    "supervisor: a child that fails to start fails the supervisor's start; the children "
    "started before it are stopped newest first",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto bystander = otpp::start<worker>(rt, otpp::name{"bystander"}, "bystander", 0, nullptr);
  const std::size_t before = rt.process_count();

  SECTION("its init stops") {
    auto f = start_failure([&] {
      otpp::start_supervisor(rt, {{},
                                  {worker_spec("a", log), worker_spec("b", log),
                                   refuser_spec("bad"), worker_spec("c", log)}});
    });
    REQUIRE(f.thrown);
    CHECK(f.code == otpp::errc::init_failed);
    CHECK(str(f.reason) == "{shutdown,{failed_to_start_child,bad,nope}}");  // as OTP's
    CHECK(log->take() == strings{"start a", "start b", "stop b shutdown", "stop a shutdown"});
  }

  SECTION("its start function throws") {
    otpp::child_spec bad;
    bad.id = "bad";
    bad.start = []() -> otpp::pid { throw std::runtime_error("no luck"); };
    auto f = start_failure([&] { otpp::start_supervisor(rt, {{}, {worker_spec("a", log), bad}}); });
    REQUIRE(f.thrown);
    CHECK(f.code == otpp::errc::init_failed);
    CHECK(f.reason.is_shutdown());
    CHECK(contains(str(f.reason), "failed_to_start_child,bad,"));
    CHECK(contains(str(f.reason), "no luck"));
    CHECK(log->take() == strings{"start a", "stop a shutdown"});
  }

  SECTION("in a nested supervisor: the failure climbs the tree and every level is stopped") {
    auto f = start_failure([&] {
      otpp::start_supervisor(
          rt,
          {{},
           {worker_spec("a", log),
            otpp::supervisor_child_spec("sub", {{}, {worker_spec("b", log), refuser_spec("bad")}}),
            worker_spec("c", log)}});
    });
    REQUIRE(f.thrown);
    CHECK(f.code == otpp::errc::init_failed);
    CHECK(str(f.reason) ==
          "{shutdown,{failed_to_start_child,sub,{shutdown,{failed_to_start_child,bad,nope}}}}");
    CHECK(log->take() == strings{"start a", "start b", "stop b shutdown", "stop a shutdown"});
  }

  CHECK_FALSE(otpp::whereis(rt, "a"));
  CHECK_FALSE(otpp::whereis(rt, "c"));
  CHECK(eventually([&] { return rt.process_count() == before; }));
  CHECK(otpp::call(bystander, worker::get{}) == 0);
}

TEST_CASE(
    "supervisor: start_child of a child that fails to start throws init_failed with the reason "
    "and adds nothing",
    "[supervisor]") {
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("a")}});

  auto f = start_failure([&] { otpp::start_child(sup, refuser_spec("bad")); });
  REQUIRE(f.thrown);
  CHECK(f.code == otpp::errc::init_failed);
  CHECK(str(f.reason) == "nope");

  otpp::child_spec thrower;
  thrower.id = "thrower";
  thrower.start = []() -> otpp::pid { throw std::runtime_error("no luck"); };
  f = start_failure([&] { otpp::start_child(sup, thrower); });
  REQUIRE(f.thrown);
  CHECK(f.code == otpp::errc::init_failed);
  CHECK(contains(str(f.reason), "no luck"));

  CHECK(ids_of(otpp::which_children(sup)) == strings{"a"});
  CHECK(rt.process_count() == 2);
}

// ======================================================================
// start_child, terminate_child, restart_child, delete_child
// ======================================================================

TEST_CASE(
    "supervisor: start_child, terminate_child, restart_child and delete_child, and their errors",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start_supervisor(rt, {{}, {worker_spec("a", log)}});

  // start_child adds a child after the others and returns its pid.
  const otpp::pid b = otpp::start_child(sup, worker_spec("b", log));
  REQUIRE(b);
  CHECK(otpp::whereis(rt, "b") == b);
  CHECK(ids_of(otpp::which_children(sup)) == strings{"b", "a"});

  // The id of a running child: already_started, with its pid.
  auto f = start_failure([&] { otpp::start_child(sup, worker_spec("b", log)); });
  CHECK(f.code == otpp::errc::already_started);
  CHECK(f.holder == b);
  // restart_child and delete_child of a running child: running.
  CHECK(start_failure([&] { otpp::restart_child(sup, "b"); }).code == otpp::errc::running);
  CHECK(failure_of([&] { otpp::delete_child(sup, "b"); }).code == otpp::errc::running);

  // Stopped, its spec is kept: already_present.
  otpp::terminate_child(sup, "b");
  CHECK_FALSE(otpp::is_alive(b));
  CHECK(start_failure([&] { otpp::start_child(sup, worker_spec("b", log)); }).code ==
        otpp::errc::already_present);
  otpp::terminate_child(sup, "b");  // terminating a stopped child is fine

  // delete_child forgets it; then it is not_found, and its id is free again.
  otpp::delete_child(sup, "b");
  CHECK(ids_of(otpp::which_children(sup)) == strings{"a"});
  CHECK(start_failure([&] { otpp::restart_child(sup, "b"); }).code == otpp::errc::not_found);
  CHECK(failure_of([&] { otpp::delete_child(sup, "b"); }).code == otpp::errc::not_found);
  CHECK(failure_of([&] { otpp::terminate_child(sup, "b"); }).code == otpp::errc::not_found);
  const otpp::pid b2 = otpp::start_child(sup, worker_spec("b", log));
  CHECK(b2);
  CHECK(b2 != b);

  // A temporary child is forgotten as soon as it is terminated.
  otpp::start_child(sup, worker_spec("tmp", log, otpp::temporary));
  otpp::terminate_child(sup, "tmp");
  CHECK(ids_of(otpp::which_children(sup)) == strings{"b", "a"});

  // Invalid specs: no start function, or no id.
  otpp::child_spec no_start;
  no_start.id = "x";
  CHECK(start_failure([&] { otpp::start_child(sup, no_start); }).code ==
        otpp::errc::invalid_child_spec);
  CHECK(start_failure([&] { otpp::start_child(sup, worker_spec("", log)); }).code ==
        otpp::errc::invalid_child_spec);

  // A start function whose child's name is taken: already_started, with the holder.
  auto stranger = otpp::start<worker>(rt, otpp::name{"taken"}, "taken", 0, nullptr);
  otpp::child_spec clash = worker_spec("taken");
  clash.id = "clash";
  f = start_failure([&] { otpp::start_child(sup, clash); });
  CHECK(f.code == otpp::errc::already_started);
  CHECK(f.holder == stranger.pid());

  CHECK(ids_of(otpp::which_children(sup)) == strings{"b", "a"});
  CHECK(log->take() == strings{"start a", "start b", "stop b shutdown", "start b", "start tmp",
                               "stop tmp shutdown"});
}

TEST_CASE("supervisor: invalid flags, duplicate ids and a taken name fail the supervisor's start",
          "[supervisor]") {
  otpp::runtime rt(quiet());
  CHECK(start_failure([&] {
          otpp::start_supervisor(rt, {{.max_restarts = -1}, {}});
        }).code == otpp::errc::init_failed);
  CHECK(start_failure([&] {
          otpp::start_supervisor(rt, {{.max_seconds = 0s}, {}});
        }).code == otpp::errc::init_failed);
  CHECK(start_failure([&] {
          otpp::start_supervisor(rt, {{}, {worker_spec("a"), worker_spec("a")}});
        }).code == otpp::errc::init_failed);
  otpp::child_spec no_start;
  no_start.id = "x";
  CHECK(start_failure([&] {
          otpp::start_supervisor(rt, {{}, {no_start}});
        }).code == otpp::errc::init_failed);
  CHECK(rt.process_count() == 0);

  auto sup = otpp::start_supervisor(rt, otpp::name{"sup"}, {{}, {worker_spec("a")}});
  CHECK(otpp::whereis(rt, "sup") == sup.pid());
  CHECK(ids_of(otpp::which_children(otpp::supervisor_ref(rt, otpp::name{"sup"}))) == strings{"a"});
  auto f = start_failure([&] { otpp::start_supervisor(rt, otpp::name{"sup"}, {{}, {}}); });
  CHECK(f.code == otpp::errc::already_started);
  CHECK(f.holder == sup.pid());
}

TEST_CASE("supervisor: a child whose restart fails is retried and shows as restarting meanwhile",
          "[supervisor]") {
  auto failing = std::make_shared<std::atomic<bool>>(false);
  otpp::runtime rt(quiet());
  // Each retry counts as a restart: allow plenty while the start is refused.
  auto sup =
      otpp::start_supervisor(rt, {{.max_restarts = 1'000'000}, {flaky_spec("flaky", failing)}});
  const otpp::pid old = otpp::whereis(rt, "flaky");

  failing->store(true);
  otpp::call(by_name(rt, "flaky"), worker::die{otpp::exit_reason::error("boom")});
  REQUIRE(eventually([&] {
    auto c = find_child(otpp::which_children(sup), "flaky");
    return c && c->restarting;
  }));
  auto info = find_child(otpp::which_children(sup), "flaky");
  REQUIRE(info);
  CHECK_FALSE(info->child);
  counts_are(otpp::count_children(sup), 1, 0, 0, 1);
  CHECK(start_failure([&] { otpp::restart_child(sup, "flaky"); }).code == otpp::errc::restarting);
  CHECK(failure_of([&] { otpp::delete_child(sup, "flaky"); }).code == otpp::errc::restarting);
  CHECK(start_failure([&] { otpp::start_child(sup, flaky_spec("flaky", failing)); }).code ==
        otpp::errc::already_present);

  SECTION("it runs again once its start works") {
    failing->store(false);
    const otpp::pid now = restarted(sup, "flaky", otpp::pid());
    CHECK(now != old);
    CHECK_FALSE(find_child(otpp::which_children(sup), "flaky")->restarting);
    CHECK(otpp::call(by_name(rt, "flaky"), worker::get{}) == 0);
  }

  SECTION(
      "terminate_child ends the retries: the child is stopped, not restarting, and can be deleted "
      "(as OTP)") {
    otpp::terminate_child(sup, "flaky");
    info = find_child(otpp::which_children(sup), "flaky");
    REQUIRE(info);
    CHECK_FALSE(info->restarting);
    CHECK_FALSE(info->child);
    CHECK_FALSE(failure_of([&] { otpp::delete_child(sup, "flaky"); }).thrown);
    CHECK(otpp::which_children(sup).empty());
    failing->store(false);
  }
  // Leave nothing restarting when the runtime goes.
  failing->store(false);
  CHECK(eventually([&] {
    auto c = find_child(otpp::which_children(sup), "flaky");
    return !c || !c->restarting;
  }));
  CHECK(otpp::is_alive(sup.pid()));
}

// ======================================================================
// Trees
// ======================================================================

TEST_CASE("supervisor: a nested supervisor restarts only its own subtree", "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto root = otpp::start_supervisor(
      rt,
      {{},
       {worker_spec("w0", log),
        otpp::supervisor_child_spec("sub_a", {{.strategy = otpp::one_for_all},
                                              {worker_spec("a1", log), worker_spec("a2", log)}}),
        otpp::supervisor_child_spec("sub_b", {{}, {worker_spec("b1", log)}})}});
  CHECK(log->take() == strings{"start w0", "start a1", "start a2", "start b1"});
  const auto top = pids_of(root);
  const otpp::pid w0 = otpp::whereis(rt, "w0"), a1 = otpp::whereis(rt, "a1"),
                  a2 = otpp::whereis(rt, "a2"), b1 = otpp::whereis(rt, "b1");
  auto children = otpp::which_children(root);
  CHECK(ids_of(children) == strings{"sub_b", "sub_a", "w0"});
  CHECK(find_child(children, "sub_a")->type == otpp::child_type::supervisor);
  counts_are(otpp::count_children(root), 3, 3, 2, 1);

  otpp::call(by_name(rt, "a1"), worker::die{otpp::exit_reason::error("boom")});
  otpp::supervisor_ref sub_a(top.at("sub_a"));
  restarted(sub_a, "a1", a1);
  CHECK(log->take() == strings{"stop a1 boom", "stop a2 shutdown", "start a1", "start a2"});
  CHECK(otpp::whereis(rt, "a2") != a2);
  CHECK(pids_of(root) == top);
  CHECK(otpp::whereis(rt, "w0") == w0);
  CHECK(otpp::whereis(rt, "b1") == b1);
  CHECK(eventually([&] { return rt.process_count() == 7; }));
}

TEST_CASE(
    "supervisor: a tree starts depth first in order and stops in reverse, on stop and on "
    "runtime destruction",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  const strings started{"start w1", "start w2", "start w3", "start w4", "start w5"};
  const strings stopped{"stop w5 shutdown", "stop w4 shutdown", "stop w3 shutdown",
                        "stop w2 shutdown", "stop w1 shutdown"};
  auto tree = [&] {
    return otpp::supervisor_spec{
        {},
        {worker_spec("w1", log),
         otpp::supervisor_child_spec(
             "sub", {{},
                     {worker_spec("w2", log),
                      otpp::supervisor_child_spec("subsub", {{}, {worker_spec("w3", log)}}),
                      worker_spec("w4", log)}}),
         worker_spec("w5", log)}};
  };

  SECTION("otpp::stop") {
    otpp::runtime rt(quiet());
    auto root = otpp::start_supervisor(rt, tree());
    CHECK(log->take() == started);
    CHECK(rt.process_count() == 8);
    otpp::stop(root);
    CHECK(log->take() == stopped);
    CHECK(rt.process_count() == 0);  // stop returns once they are counted out
  }

  SECTION("the runtime's destruction") {
    {
      otpp::runtime rt(quiet());
      otpp::start_supervisor(rt, tree());
      CHECK(log->take() == started);
    }
    CHECK(log->take() == stopped);
  }
}

// A worker that crashes as soon as it has started (its handle_continue
// throws), so that its supervisor restarts it over and over.
struct crash_looper : otpp::gen_server<crash_looper> {
  struct boom {};
  explicit crash_looper(std::shared_ptr<std::atomic<int>> s) : starts(std::move(s)) {}
  otpp::init_result init() {
    // Relaxed: a progress gauge only, which must not order anything (a
    // stronger order would hide the race below from ThreadSanitizer).
    starts->fetch_add(1, std::memory_order_relaxed);
    return otpp::ok(continue_with(boom{}));
  }
  void handle_continue(boom) { throw std::runtime_error("boom"); }
  std::shared_ptr<std::atomic<int>> starts;
};

// Bug (seen by ThreadSanitizer here): detail::start_server
// (detail/server_process.hpp) publishes a new process in the runtime's
// table (`rt.add(*p)`) before it sets `p->root = false` and `p->parent` for
// a linked start, while runtime_core::snapshot (detail/process_base.hpp),
// which the runtime's shutdown uses to pick the root processes, reads
// `root` under the table mutex: a data race whenever a supervisor starts
// or restarts a child while the runtime is being destroyed. Besides the
// race, a child seen as a root is sent `shutdown` by the runtime directly,
// outside its supervisor's ordered shutdown. ThreadSanitizer reports it in
// about one run of this test in 20 (and it first showed up at the end of a
// dynamic_supervisor test whose retries were still running). Fix: set
// parent/root (and the links) before `rt.add(*p)`.
TEST_CASE("supervisor: destroying the runtime during a restart storm stops the whole tree in order",
          "[supervisor]") {
  auto log = std::make_shared<trace>();
  auto starts = std::make_shared<std::atomic<int>>(0);
  {
    otpp::runtime rt(quiet());
    otpp::child_spec looper;
    looper.id = "looper";
    looper.start = [starts] { return otpp::start_link<crash_looper>(starts).pid(); };
    otpp::child_spec looper2 = looper;
    looper2.id = "looper2";
    otpp::start_supervisor(
        rt, {{.max_restarts = 1'000'000},
             {worker_spec("first", log), looper, looper2, worker_spec("last", log)}});
    REQUIRE(eventually([&] { return starts->load(std::memory_order_relaxed) >= 200; }));
  }
  CHECK(log->take() ==
        strings{"start first", "start last", "stop last shutdown", "stop first shutdown"});
}

// Supervisor callback modules, as -behaviour(supervisor).
struct inner_sup : otpp::supervisor<inner_sup> {
  explicit inner_sup(std::shared_ptr<trace> l) : log(std::move(l)) {}
  otpp::supervisor_spec init() {
    return {{.strategy = otpp::rest_for_one}, {worker_spec("i1", log), worker_spec("i2", log)}};
  }
  std::shared_ptr<trace> log;
};

// A worker type that supplies its own child spec, as an Elixir module overrides child_spec/1.
struct custom_worker : otpp::gen_server<custom_worker> {
  struct get {
    using reply_type = int;
  };
  explicit custom_worker(int v) : value(v) {}
  int handle_call(get) { return value; }
  static otpp::child_spec child_spec(int v) {
    otpp::child_spec s;
    s.id = "custom";
    s.start = [v] { return otpp::start_link<custom_worker>(otpp::name{"custom"}, v).pid(); };
    s.restart = otpp::transient;
    return s;
  }
  int value;
};

// A worker type without one: it gets default_child_spec.
struct plain_worker : otpp::gen_server<plain_worker> {
  struct get {
    using reply_type = int;
  };
  explicit plain_worker(int v) : value(v) {}
  int handle_call(get) { return value; }
  int value;
};

struct app_sup : otpp::supervisor<app_sup> {
  app_sup(std::shared_ptr<trace> l, int n) : log(std::move(l)), n(n) {}
  otpp::supervisor_spec init() {
    return {{.strategy = otpp::one_for_all},
            {otpp::child_spec_for<custom_worker>(n), otpp::child_spec_for<inner_sup>(log),
             otpp::child_spec_for<plain_worker>(otpp::name{"plain"}, n + 1)}};
  }
  std::shared_ptr<trace> log;
  int n;
};

struct broken_sup : otpp::supervisor<broken_sup> {
  otpp::supervisor_spec init() { throw std::runtime_error("no spec"); }
};

TEST_CASE(
    "supervisor: callback modules through otpp::supervisor<Impl>, child_spec_for and "
    "default_child_spec",
    "[supervisor]") {
  auto log = std::make_shared<trace>();
  otpp::runtime rt(quiet());
  auto sup = otpp::start<app_sup>(rt, log, 41);
  CHECK(log->take() == strings{"start i1", "start i2"});

  auto children = otpp::which_children(sup);
  REQUIRE(children.size() == 3);
  CHECK(children[2].id == "custom");
  CHECK(children[2].type == otpp::child_type::worker);
  CHECK(contains(children[1].id, "inner_sup"));
  CHECK(children[1].type == otpp::child_type::supervisor);
  CHECK(contains(children[0].id, "plain_worker"));
  counts_are(otpp::count_children(sup), 3, 3, 1, 2);
  CHECK(otpp::call(otpp::server_ref<custom_worker>(rt, otpp::name{"custom"}),
                   custom_worker::get{}) == 41);
  CHECK(otpp::call(otpp::server_ref<plain_worker>(rt, otpp::name{"plain"}), plain_worker::get{}) ==
        42);

  auto d = otpp::default_child_spec<plain_worker>(1);
  CHECK(d.restart == otpp::permanent);
  CHECK(d.type == otpp::child_type::worker);
  CHECK(d.shutdown.is_default());
  CHECK(otpp::child_spec_for<custom_worker>(1).restart == otpp::transient);
  CHECK(otpp::default_child_spec<inner_sup>(log).type == otpp::child_type::supervisor);

  otpp::stop(sup);
  CHECK(log->take() == strings{"stop i2 shutdown", "stop i1 shutdown"});

  // A module supervisor under a name.
  auto named = otpp::start<inner_sup>(rt, otpp::name{"inner"}, log);
  CHECK(otpp::whereis(rt, "inner") == named.pid());
  CHECK(ids_of(otpp::which_children(otpp::supervisor_ref(rt, otpp::name{"inner"}))) ==
        strings{"i2", "i1"});
  otpp::stop(otpp::supervisor_ref(rt, otpp::name{"inner"}));
  CHECK(log->take() == strings{"start i1", "start i2", "stop i2 shutdown", "stop i1 shutdown"});

  // A module whose init throws fails the start.
  auto f = start_failure([&] { otpp::start<broken_sup>(rt); });
  REQUIRE(f.thrown);
  CHECK(f.code == otpp::errc::init_failed);
  CHECK(contains(str(f.reason), "no spec"));
  CHECK(rt.process_count() == 0);  // a failed start leaves nothing counted
}

// ======================================================================
// Crash storm
// ======================================================================

TEST_CASE(
    "supervisor: crash storm over 1,000 children in a tree; calls always reach the right child "
    "and every child comes back",
    "[supervisor]") {
  constexpr int subs = 10;
  constexpr int per_sub = 100;
  constexpr int total = subs * per_sub;
  auto name_of_child = [](int i) { return fmt::format("storm{}", i); };

  otpp::runtime rt(quiet());
  std::vector<otpp::child_spec> sub_specs;
  for (int s = 0; s < subs; ++s) {
    std::vector<otpp::child_spec> workers;
    for (int k = 0; k < per_sub; ++k) {
      const int i = s * per_sub + k;
      workers.push_back(worker_spec(name_of_child(i), nullptr, otpp::permanent, i));
    }
    sub_specs.push_back(otpp::supervisor_child_spec(
        fmt::format("sub{}", s), {{.max_restarts = 1'000'000, .max_seconds = 5s}, workers}));
  }
  auto root = otpp::start_supervisor(rt, {{}, sub_specs});
  REQUIRE(rt.process_count() == 1 + subs + total);
  const auto subs_before = pids_of(root);

  // Two plain threads crash, kill and call random children for a while.
  struct tally {
    long answered = 0, wrong = 0, crashes = 0, kills = 0, expected_errors = 0, unexpected = 0;
  };
  const auto until = clock_type::now() + 700ms;
  auto storm = [&](unsigned seed, tally& t) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pick(0, total - 1), what(0, 9);
    while (clock_type::now() < until) {
      const int i = pick(rng);
      const std::string name = name_of_child(i);
      const int w = what(rng);
      try {
        if (w < 6) {
          const int v = otpp::call(by_name(rt, name), worker::get{});
          ++(v == i ? t.answered : t.wrong);
        } else if (w < 9) {
          ++t.crashes;
          otpp::call(by_name(rt, name), worker::crash{});
          ++t.unexpected;  // a crash never answers
        } else {
          ++t.kills;
          otpp::exit(otpp::whereis(rt, name), otpp::kill);
        }
      } catch (const otpp::call_error& e) {
        keep_alive(std::current_exception());
        if (e.code() == otpp::errc::noproc || e.code() == otpp::errc::exited)
          ++t.expected_errors;
        else
          ++t.unexpected;
      } catch (...) {
        ++t.unexpected;
      }
    }
  };
  tally t1, t2;
  {
    joining_thread a(storm, 1u, std::ref(t1));
    joining_thread b(storm, 2u, std::ref(t2));
  }
  INFO("answered " << t1.answered + t2.answered << ", crashes " << t1.crashes + t2.crashes
                   << ", kills " << t1.kills + t2.kills << ", expected errors "
                   << t1.expected_errors + t2.expected_errors);
  CHECK(t1.wrong + t2.wrong == 0);
  CHECK(t1.unexpected + t2.unexpected == 0);
  CHECK(t1.answered + t2.answered > 0);
  CHECK(t1.crashes + t2.crashes > 0);

  // Every child comes back and answers with its own index.
  int missing = 0;
  for (int i = 0; i < total; ++i) {
    const bool back = eventually([&] {
      try {
        return otpp::call(by_name(rt, name_of_child(i)), worker::get{}) == i;
      } catch (const otpp::call_error&) {
        keep_alive(std::current_exception());
        return false;
      }
    });
    if (!back) ++missing;
  }
  CHECK(missing == 0);
  CHECK(eventually([&] { return rt.process_count() == 1 + subs + total; }));
  CHECK(rt.process_count() == 1 + subs + total);
  CHECK(pids_of(root) == subs_before);  // no sub-supervisor gave up
  for (auto& [id, p] : subs_before)
    counts_are(otpp::count_children(otpp::supervisor_ref(p)), per_sub, per_sub, 0, per_sub);
}

}  // namespace
