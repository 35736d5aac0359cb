// Test that header file is self-contained.
#include <otpp/agent.hpp>

// GCC 12 with -fsanitize=address,undefined -O1 reports a false
// -Wmaybe-uninitialized inside Boost.Asio's use_future.hpp (the
// async_completion of asio::use_future), which -Werror turns into an error.
// The pragma must precede the Asio headers below to cover their lines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Tests of otpp::agent, as Elixir's Agent: get, update, get_and_update and
// cast on a state held in its own process; names; stop; functions and inits
// that throw; move-only states; concurrent updates; timeouts; linking; and
// an agent under a supervisor.
//
// Conventions (as in gen_server.cpp):
// - Catch2 v2 assertions are not thread-safe: only the test's own thread
//   asserts; agents, servers and helper threads record what they see and
//   the test checks it afterwards.
// - Nothing sleeps to synchronise. A function that "takes long" blocks on a
//   `gate` the test opens. Every wait is bounded by `safety` only so that a
//   broken library fails instead of hanging; it is never reached when the
//   library works.
// - Timeouts are short (20 ms) where a timeout is the point; no test asserts
//   how fast anything runs.
// - A `gate` is declared after the runtime, so that it is opened (releasing
//   any function still blocked on it) before the runtime is destroyed.
// - `gate`, `event_counter`, `failure_of`, `watch` and the other helpers
//   shared with other test files are in support.hpp.

#include <catch2/catch.hpp>

#include <otpp/dynamic_supervisor.hpp>
#include <otpp/supervisor.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace otpp_test;  // support.hpp

// The error code of a system_error `f` throws (start_error, wrong_type, not_in_process).
template <class F>
otpp::error_code system_error_of(F&& f) {
  try {
    f();
  } catch (const boost::system::system_error& e) {
    return e.code();
  }
  return {};
}

constexpr auto value_of = [](const int& n) { return n; };

// ======================================================================
// get, update, get_and_update, cast
// ======================================================================

TEST_CASE("agent: get, update, get_and_update and cast act on the state in order", "[agent]") {
  otpp::runtime rt(quiet());
  auto a = otpp::start_agent(rt, [] { return 0; });
  STATIC_REQUIRE(std::is_same_v<decltype(a), otpp::agent<int>>);
  REQUIRE(a);
  REQUIRE(a.pid());

  CHECK(a.get(value_of) == 0);
  a.update([](int n) { return n + 1; });
  CHECK(a.get(value_of) == 1);
  // The reply is computed from the old state; the new state is kept.
  CHECK(a.get_and_update([](int n) { return std::pair{n * 10, n + 1}; }) == 10);
  CHECK(a.get(value_of) == 2);
  a.cast([](int n) { return n + 40; });
  CHECK(a.get(value_of) == 42);  // a call from this thread comes after its cast

  // get and get_and_update may reply with any type.
  const std::string text = a.get([](const int& n) { return std::to_string(n) + "!"; });
  CHECK(text == "42!");
  const std::string old = a.get_and_update([](int n) { return std::pair{std::to_string(n), n - 2}; });
  CHECK(old == "42");
  CHECK(a.get(value_of) == 40);

  // Copies refer to the same agent.
  const otpp::agent<int> b = a;
  b.update([](int n) { return n * 2; });
  CHECK(a.get(value_of) == 80);
  CHECK(b.pid() == a.pid());
  CHECK(rt.process_count() == 1);
}

TEST_CASE("agent: a container state, as Elixir's bucket example", "[agent]") {
  otpp::runtime rt(quiet());
  using bucket = std::map<std::string, int>;
  auto b = otpp::start_agent(rt, [] { return bucket{}; });
  auto lookup = [&b](std::string key) {
    return b.get([key](const bucket& m) -> std::optional<int> {
      auto it = m.find(key);
      if (it == m.end()) return std::nullopt;
      return it->second;
    });
  };
  CHECK_FALSE(lookup("milk"));
  b.update([](bucket m) {
    m["milk"] = 3;
    return m;
  });
  CHECK(lookup("milk") == 3);
  const auto removed = b.get_and_update([](bucket m) {
    std::optional<int> was;
    if (auto it = m.find("milk"); it != m.end()) {
      was = it->second;
      m.erase(it);
    }
    return std::pair{was, std::move(m)};
  });
  CHECK(removed == 3);
  CHECK_FALSE(lookup("milk"));
  CHECK(b.get([](const bucket& m) { return m.size(); }) == 0);
}

TEST_CASE("agent: init and every function run inside the agent's process", "[agent]") {
  otpp::runtime rt(quiet());
  // init runs on this thread, as the new process, before start_agent returns.
  auto in_init = std::make_shared<otpp::pid>();
  auto a = otpp::start_agent(rt, [in_init] {
    *in_init = otpp::self();
    return 0;
  });
  CHECK(*in_init == a.pid());
  CHECK(a.get([](const int&) { return otpp::self(); }) == a.pid());
  CHECK(a.get_and_update([](int n) { return std::pair{otpp::self(), n}; }) == a.pid());
  CHECK_FALSE(otpp::self());  // this thread is no process
}

// ======================================================================
// Names and references
// ======================================================================

TEST_CASE("agent: a named agent is reached by name, and the name is unique", "[agent]") {
  otpp::runtime rt(quiet());
  const otpp::name n{"agent test: counter"};
  auto a = otpp::start_agent(rt, n, [] { return 5; });
  const otpp::agent<int> by_name(rt, n);
  CHECK(by_name.pid() == a.pid());
  by_name.update([](int v) { return v + 1; });
  CHECK(a.get(value_of) == 6);
  const otpp::agent<int> by_pid(a.pid());
  CHECK(by_pid.get(value_of) == 6);

  SECTION("a second agent with the name fails with already_started") {
    otpp::error_code code;
    otpp::pid holder;
    try {
      otpp::start_agent(rt, n, [] { return 0; });
    } catch (const otpp::start_error& e) {
      code = e.code();
      holder = e.holder();
    }
    CHECK(code == otpp::errc::already_started);
    CHECK(holder == a.pid());
    CHECK(rt.process_count() == 1);
  }

  SECTION("a reference of another state type fails with wrong_type") {
    const otpp::agent<std::string> wrong(rt, n);
    CHECK(failure_of([&] { wrong.get([](const std::string& s) { return s; }); }).code == otpp::errc::wrong_type);
    CHECK(system_error_of([&] { otpp::agent<std::string>{a.pid()}; }) == otpp::errc::wrong_type);
    CHECK(a.get(value_of) == 6);  // unaffected
  }

  SECTION("after a stop the name is free; references by name reach the next holder") {
    a.stop();
    CHECK_FALSE(by_name.pid());
    CHECK(failure_of([&] { by_name.get(value_of); }).code == otpp::errc::noproc);
    auto again = otpp::start_agent(rt, n, [] { return 7; });
    CHECK(by_name.get(value_of) == 7);
    CHECK(by_name.pid() == again.pid());
    CHECK(failure_of([&] { by_pid.get(value_of); }).code == otpp::errc::noproc);  // the old pid stays dead
  }
}

// ======================================================================
// stop and errors
// ======================================================================

TEST_CASE("agent: stop ends the agent; then calls fail with noproc and casts are dropped", "[agent]") {
  otpp::runtime rt(quiet());

  SECTION("stop with normal") {
    auto a = otpp::start_agent(rt, [] { return 1; });
    const otpp::pid p = a.pid();
    auto down = watch(rt, p);
    a.stop();
    CHECK_FALSE(otpp::is_alive(p));  // stop returns once it has exited
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "normal");

    CHECK(failure_of([&] { a.get(value_of); }).code == otpp::errc::noproc);
    CHECK(failure_of([&] { a.update([](int n) { return n; }); }).code == otpp::errc::noproc);
    CHECK(failure_of([&] { a.get_and_update([](int n) { return std::pair{n, n}; }); }).code == otpp::errc::noproc);
    CHECK_NOTHROW(a.cast([](int n) { return n; }));
    CHECK(failure_of([&] { a.stop(); }).code == otpp::errc::noproc);
  }

  SECTION("stop with a reason") {
    auto a = otpp::start_agent(rt, [] { return 1; });
    auto down = watch(rt, a.pid());
    a.stop(otpp::shutdown);
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "shutdown");

    auto b = otpp::start_agent(rt, [] { return 1; });
    auto down_b = watch(rt, b.pid());
    b.stop(otpp::exit_reason::error("agent test: custom reason"), 5000ms);
    REQUIRE(arrives(down_b));
    CHECK(str(down_b.get().reason) == "agent test: custom reason");
  }

  SECTION("an empty reference") {
    const otpp::agent<int> none;
    CHECK_FALSE(none);
    CHECK_FALSE(none.pid());
    CHECK(failure_of([&] { none.get(value_of); }).code == otpp::errc::noproc);
    CHECK_NOTHROW(none.cast([](int n) { return n; }));
  }
}

TEST_CASE("agent: a function that throws makes the agent exit, and the caller gets exited", "[agent]") {
  otpp::runtime rt(quiet());
  auto a = otpp::start_agent(rt, [] { return 1; });
  const otpp::pid p = a.pid();

  auto check = [&](const failure& f, std::string_view message) {
    CHECK(f.thrown);
    CHECK(f.code == otpp::errc::exited);
    CHECK(f.reason.what() == otpp::exit_reason::kind::exception);
    CHECK(contains(f.reason.detail(), message));
    CHECK(contains(f.reason.detail(), "runtime_error"));
    CHECK(contains(f.what, message));
    CHECK_FALSE(otpp::is_alive(p));  // dead by the time the caller hears of it
    CHECK(failure_of([&] { a.get(value_of); }).code == otpp::errc::noproc);
  };

  SECTION("in get") {
    check(failure_of([&] { a.get([](const int&) -> int { throw std::runtime_error("get failed"); }); }),
          "get failed");
  }
  SECTION("in update") {
    check(failure_of([&] { a.update([](int) -> int { throw std::runtime_error("update failed"); }); }),
          "update failed");
  }
  SECTION("in get_and_update") {
    check(failure_of([&] {
            a.get_and_update([](int) -> std::pair<int, int> { throw std::runtime_error("get_and_update failed"); });
          }),
          "get_and_update failed");
  }
  SECTION("in cast") {
    auto down = watch(rt, p);
    a.cast([](int) -> int { throw std::runtime_error("cast failed"); });
    REQUIRE(arrives(down));
    const otpp::exit_reason why = down.get().reason;
    CHECK(why.what() == otpp::exit_reason::kind::exception);
    CHECK(contains(why.detail(), "cast failed"));
    CHECK(failure_of([&] { a.get(value_of); }).code == otpp::errc::noproc);
  }
}

TEST_CASE("agent: an init that throws fails start with init_failed", "[agent]") {
  otpp::runtime rt(quiet());
  otpp::error_code code;
  otpp::exit_reason reason;
  try {
    otpp::start_agent(rt, []() -> int { throw std::runtime_error("no initial state"); });
  } catch (const otpp::start_error& e) {
    code = e.code();
    reason = e.reason();
  }
  CHECK(code == otpp::errc::init_failed);
  CHECK(reason.what() == otpp::exit_reason::kind::exception);
  CHECK(contains(reason.detail(), "no initial state"));
  CHECK(rt.process_count() == 0);

  // A named agent whose init failed leaves the name free.
  const otpp::name n{"agent test: failing init"};
  CHECK(system_error_of([&] { otpp::start_agent(rt, n, []() -> int { throw std::runtime_error("again"); }); }) ==
        otpp::errc::init_failed);
  auto a = otpp::start_agent(rt, n, [] { return 3; });
  CHECK(otpp::agent<int>(rt, n).get(value_of) == 3);
}

// ======================================================================
// State types, concurrency, timeouts
// ======================================================================

TEST_CASE("agent: a move-only state", "[agent]") {
  otpp::runtime rt(quiet());
  auto a = otpp::start_agent(rt, [] { return std::make_unique<int>(1); });
  STATIC_REQUIRE(std::is_same_v<decltype(a), otpp::agent<std::unique_ptr<int>>>);
  auto deref = [](const std::unique_ptr<int>& p) { return p ? *p : -1; };

  a.update([](std::unique_ptr<int> p) {
    ++*p;
    return p;
  });
  CHECK(a.get(deref) == 2);

  const int was = a.get_and_update([](std::unique_ptr<int> p) {
    const int before = *p;
    *p = 10;
    return std::pair{before, std::move(p)};
  });
  CHECK(was == 2);
  CHECK(a.get(deref) == 10);

  a.cast([](std::unique_ptr<int> p) {
    *p += 5;
    return p;
  });
  CHECK(a.get(deref) == 15);

  a.update([](std::unique_ptr<int>) { return std::make_unique<int>(100); });  // a new object
  CHECK(a.get(deref) == 100);

  // The reply may be move-only too: take the object out, leave a new one.
  auto taken = a.get_and_update([](std::unique_ptr<int> p) { return std::pair{std::move(p), std::make_unique<int>(0)}; });
  STATIC_REQUIRE(std::is_same_v<decltype(taken), std::unique_ptr<int>>);
  REQUIRE(taken);
  CHECK(*taken == 100);
  CHECK(a.get(deref) == 0);
}

TEST_CASE("agent: concurrent updates from two threads are all applied", "[agent]") {
  otpp::runtime rt(quiet());
  auto a = otpp::start_agent(rt, [] { return 0; });
  constexpr int n = 10000;
  std::atomic<int> failed{0};

  SECTION("update") {
    {
      std::vector<joining_thread> threads;
      for (int k = 0; k < 2; ++k)
        threads.emplace_back([a, &failed] {
          for (int i = 0; i < n; ++i) {
            try {
              a.update([](int v) { return v + 1; });
            } catch (...) {
              ++failed;
            }
          }
        });
    }
    CHECK(failed == 0);
    CHECK(a.get(value_of) == 2 * n);
  }

  SECTION("cast from one thread, get_and_update from the other") {
    std::atomic<int> out_of_order{0};
    {
      std::vector<joining_thread> threads;
      threads.emplace_back([a, &failed] {
        try {
          for (int i = 0; i < n; ++i) a.cast([](int v) { return v + 1; });
          a.get(value_of);  // ordered after this thread's casts
        } catch (...) {
          ++failed;
        }
      });
      threads.emplace_back([a, &failed, &out_of_order] {
        int last = -1;
        for (int i = 0; i < n; ++i) {
          try {
            const int before = a.get_and_update([](int v) { return std::pair{v, v + 1}; });
            if (before <= last) ++out_of_order;  // the state only grows
            last = before;
          } catch (...) {
            ++failed;
          }
        }
      });
    }
    CHECK(failed == 0);
    CHECK(out_of_order == 0);
    CHECK(a.get(value_of) == 2 * n);
  }
}

TEST_CASE("agent: a call that times out leaves the agent running, and the function still runs", "[agent]") {
  otpp::runtime rt(quiet());
  auto a = otpp::start_agent(rt, [] { return 1; });
  gate g;

  SECTION("get") {
    const auto f = failure_of([&] {
      a.get(
          [w = g.waiter()](const int& n) {
            pass(w);
            return n;
          },
          20ms);
    });
    CHECK(f.code == otpp::errc::timeout);
    CHECK(otpp::is_alive(a.pid()));
    g.open();
    CHECK(a.get(value_of) == 1);  // its own reply, not the late one
  }

  SECTION("update") {
    const auto f = failure_of([&] {
      a.update(
          [w = g.waiter()](int n) {
            pass(w);
            return n + 1;
          },
          20ms);
    });
    CHECK(f.code == otpp::errc::timeout);
    g.open();
    CHECK(a.get(value_of) == 2);  // as in Elixir, the update was applied all the same
  }
}

// ======================================================================
// Linking and supervision
// ======================================================================

// Starts an agent linked to itself.
struct agent_owner : otpp::gen_server<agent_owner> {
  struct start_linked {
    using reply_type = otpp::pid;
  };
  struct start_linked_named {
    using reply_type = otpp::pid;
    std::string name;
  };
  struct crash {};
  struct ping {
    using reply_type = int;
  };
  struct signals {
    using reply_type = std::vector<otpp::exit_signal>;
  };

  agent_owner(bool trap, std::shared_ptr<event_counter> s) : trapping(trap), signalled(std::move(s)) {}
  void init() { trap_exit(trapping); }

  otpp::pid handle_call(start_linked) {
    held = otpp::start_link_agent([] { return 1; });
    return held.pid();
  }
  otpp::pid handle_call(start_linked_named m) {
    held = otpp::start_link_agent(otpp::name{m.name}, [] { return 2; });
    return held.pid();
  }
  void handle_cast(crash) { throw std::runtime_error("agent owner crashed"); }
  int handle_call(ping) { return 1; }
  std::vector<otpp::exit_signal> handle_call(signals) { return received; }
  void handle_info(otpp::exit_signal s) {
    received.push_back(std::move(s));
    signalled->bump();
  }

  bool trapping;
  std::shared_ptr<event_counter> signalled;
  std::vector<otpp::exit_signal> received;
  otpp::agent<int> held;
};

TEST_CASE("agent: start_link_agent links the agent to the calling process", "[agent]") {
  otpp::runtime rt(quiet());
  auto signalled = std::make_shared<event_counter>();
  auto crash_agent = [](const otpp::pid& p) {
    otpp::agent<int>(p).cast([](int) -> int { throw std::runtime_error("agent function failed"); });
  };

  SECTION("an agent that crashes takes its owner down") {
    auto owner = otpp::start<agent_owner>(rt, false, signalled);
    const otpp::pid agent_pid = otpp::call(owner, agent_owner::start_linked{});
    CHECK(otpp::agent<int>(agent_pid).get(value_of) == 1);
    auto owner_down = watch(rt, owner.pid());
    crash_agent(agent_pid);
    REQUIRE(arrives(owner_down));
    const otpp::exit_reason why = owner_down.get().reason;
    CHECK(why.what() == otpp::exit_reason::kind::exception);
    CHECK(contains(why.detail(), "agent function failed"));
  }

  SECTION("a trapping owner gets the agent's exit signal") {
    auto owner = otpp::start<agent_owner>(rt, true, signalled);
    const otpp::pid agent_pid = otpp::call(owner, agent_owner::start_linked{});
    crash_agent(agent_pid);
    REQUIRE(signalled->wait_for_at_least(1));
    const auto got = otpp::call(owner, agent_owner::signals{});
    REQUIRE(got.size() == 1);
    CHECK(got[0].from == agent_pid);
    CHECK(contains(got[0].reason.detail(), "agent function failed"));
    CHECK(otpp::call(owner, agent_owner::ping{}) == 1);
  }

  SECTION("an owner that crashes takes its agent down") {
    auto owner = otpp::start<agent_owner>(rt, false, signalled);
    const otpp::pid agent_pid = otpp::call(owner, agent_owner::start_linked_named{"agent test: linked"});
    CHECK(otpp::agent<int>(rt, otpp::name{"agent test: linked"}).get(value_of) == 2);
    auto agent_down = watch(rt, agent_pid);
    otpp::cast(owner, agent_owner::crash{});
    REQUIRE(arrives(agent_down));
    const otpp::exit_reason why = agent_down.get().reason;
    CHECK(why.what() == otpp::exit_reason::kind::exception);
    CHECK(contains(why.detail(), "agent owner crashed"));
    CHECK_FALSE(otpp::whereis(rt, "agent test: linked"));
  }

  SECTION("outside a process, start_link_agent throws not_in_process") {
    CHECK(system_error_of([] { otpp::start_link_agent([] { return 0; }); }) == otpp::errc::not_in_process);
  }
}

TEST_CASE("agent: under a supervisor, a killed agent comes back with its initial state", "[agent]") {
  otpp::runtime rt(quiet());
  const otpp::name n{"agent test: supervised"};
  auto sup = otpp::start_supervisor(
      rt, {{}, {otpp::agent_child_spec("named", [] { return 10; }, n), otpp::agent_child_spec("anonymous", [] {
                                                                         return std::string("init");
                                                                       })}});
  REQUIRE(sup);
  const otpp::agent<int> a(rt, n);
  CHECK(a.get(value_of) == 10);

  auto child_pid = [&](std::string_view id) {
    for (const auto& c : otpp::which_children(sup))
      if (c.id == id) return c.child;
    return otpp::pid();
  };
  CHECK(child_pid("named") == a.pid());

  SECTION("killed") {
    a.update([](int v) { return v + 5; });
    CHECK(a.get(value_of) == 15);
    const otpp::pid old = a.pid();
    auto down = watch(rt, old);
    otpp::exit(old, otpp::kill);
    REQUIRE(arrives(down));
    CHECK(str(down.get().reason) == "killed");
    // The supervisor had the exit signal before this call (see watch) and
    // restarted the child before answering.
    const otpp::pid now = child_pid("named");
    CHECK(now);
    CHECK(now != old);
    CHECK(a.pid() == now);  // registered again under its name
    CHECK(a.get(value_of) == 10);
  }

  SECTION("crashed by a function that threw") {
    const otpp::pid old = child_pid("anonymous");
    REQUIRE(old);
    const otpp::agent<std::string> b(old);
    b.update([](std::string s) { return s + " changed"; });
    CHECK(b.get([](const std::string& s) { return s; }) == "init changed");
    const auto f = failure_of([&] { b.get([](const std::string&) -> int { throw std::runtime_error("bad get"); }); });
    CHECK(f.code == otpp::errc::exited);
    auto down = watch(rt, old);  // `noproc` if already gone: either way after its exit signals
    REQUIRE(arrives(down));
    const otpp::pid now = child_pid("anonymous");
    REQUIRE(now);
    CHECK(now != old);
    CHECK(otpp::agent<std::string>(now).get([](const std::string& s) { return s; }) == "init");
  }
}

TEST_CASE("agent: agent_child_spec under a dynamic_supervisor", "[agent]") {
  otpp::runtime rt(quiet());
  auto sup = otpp::start_dynamic_supervisor(rt);
  const otpp::pid p = otpp::start_child(sup, otpp::agent_child_spec("counter", [] { return 3; }));
  REQUIRE(p);
  const otpp::agent<int> a(p);
  a.update([](int n) { return n * 2; });
  CHECK(a.get(value_of) == 6);
  auto down = watch(rt, p);
  otpp::exit(p, otpp::kill);
  REQUIRE(arrives(down));
  const auto children = otpp::which_children(sup);  // after the restart (see watch)
  REQUIRE(children.size() == 1);
  REQUIRE(children[0].child);
  CHECK(children[0].child != p);
  CHECK(otpp::agent<int>(children[0].child).get(value_of) == 3);
}

}  // namespace
