// Test that header file is self-contained.
#include <otpp/registry.hpp>

#include <otpp/error.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/runtime.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support.hpp"

namespace {

using otpp_test::quiet;

struct named : otpp::gen_server<named> {
  struct get {
    using reply_type = int;
  };
  struct crash {};

  explicit named(int v = 0) : value(v) {}
  int value;

  int handle_call(get) { return value; }
  void handle_cast(crash) { throw std::runtime_error("crash"); }
};

struct failing : otpp::gen_server<failing> {
  explicit failing(bool throw_it) : throw_it(throw_it) {}
  bool throw_it;
  otpp::init_result init() {
    if (throw_it) throw std::runtime_error("init blew up");
    return otpp::stop(otpp::exit_reason::error("no"));
  }
};

struct ignoring : otpp::gen_server<ignoring> {
  otpp::init_result init() { return otpp::ignore(); }
};

// Waits (bounded) until `name` is free or held by a process other than `old`.
// Used only after a cast that crashes the holder: the crash is asynchronous.
struct down_waiter : otpp::gen_server<down_waiter> {
  struct watch {
    otpp::pid target;
    using reply_type = void;
  };
  struct wait_down {
    using reply_type = void;
  };
  std::optional<otpp::from<void>> waiting;
  bool seen = false;

  void handle_call(watch w) { otpp::monitor(w.target); }
  otpp::call_result<void> handle_call(wait_down, otpp::from<void> f) {
    if (seen) {
      f.reply();
    } else {
      waiting = f;
    }
    return otpp::noreply();
  }
  void handle_info(otpp::down) {
    seen = true;
    if (waiting) waiting->reply();
  }
};

}  // namespace

TEST_CASE("registry: whereis returns the pid registered under a name", "[registry]") {
  otpp::runtime rt{quiet()};
  auto s = otpp::start<named>(rt, otpp::name{"counter"}, 7);
  REQUIRE(s);
  const otpp::pid p = otpp::whereis(rt, "counter");
  CHECK(p);
  CHECK(p == s.pid());
  // A reference by name reaches the same process.
  otpp::server_ref<named> by_name(rt, otpp::name{"counter"});
  CHECK(by_name.pid() == p);
  CHECK(otpp::call(by_name, named::get{}) == 7);
}

TEST_CASE("registry: whereis of an unknown name is an empty pid", "[registry]") {
  otpp::runtime rt{quiet()};
  auto s = otpp::start<named>(rt, otpp::name{"known"});
  CHECK_FALSE(otpp::whereis(rt, "unknown"));
  CHECK_FALSE(otpp::whereis(rt, ""));
  CHECK_FALSE(otpp::whereis(rt, "know"));
  CHECK_FALSE(otpp::whereis(rt, "known "));
  // Names are per runtime.
  otpp::runtime other{quiet(1)};
  CHECK_FALSE(otpp::whereis(other, "known"));
}

TEST_CASE("registry: a name is freed when its process exits", "[registry]") {
  otpp::runtime rt{quiet()};
  auto first = otpp::start<named>(rt, otpp::name{"svc"}, 1);
  const otpp::pid p1 = first.pid();

  SECTION("normal stop") { otpp::stop(first); }
  SECTION("abnormal stop") { otpp::stop(first, otpp::exit_reason::error("bad")); }
  SECTION("crash") {
    auto w = otpp::start<down_waiter>(rt);
    otpp::call(w, down_waiter::watch{p1});
    otpp::cast(first, named::crash{});
    otpp::call(w, down_waiter::wait_down{});
  }
  SECTION("killed") {
    auto w = otpp::start<down_waiter>(rt);
    otpp::call(w, down_waiter::watch{p1});
    otpp::exit(p1, otpp::kill);
    otpp::call(w, down_waiter::wait_down{});
  }

  CHECK_FALSE(otpp::is_alive(p1));
  CHECK_FALSE(otpp::whereis(rt, "svc"));
  auto second = otpp::start<named>(rt, otpp::name{"svc"}, 2);
  REQUIRE(second);
  CHECK(second.pid() != p1);
  CHECK(otpp::whereis(rt, "svc") == second.pid());
  CHECK(otpp::call(otpp::server_ref<named>(rt, otpp::name{"svc"}), named::get{}) == 2);
}

TEST_CASE("registry: a second start with a taken name fails with already_started and the holder",
          "[registry]") {
  otpp::runtime rt{quiet()};
  auto first = otpp::start<named>(rt, otpp::name{"solo"}, 1);
  const auto count = rt.process_count();
  try {
    otpp::start<named>(rt, otpp::name{"solo"}, 2);
    FAIL("start with a taken name succeeded");
  } catch (const otpp::start_error& e) {
    CHECK(e.code() == otpp::errc::already_started);
    CHECK(e.holder() == first.pid());
  }
  // Also for another gen_server type.
  try {
    otpp::start<down_waiter>(rt, otpp::name{"solo"});
    FAIL("start with a taken name succeeded");
  } catch (const otpp::start_error& e) {
    CHECK(e.code() == otpp::errc::already_started);
    CHECK(e.holder() == first.pid());
  }
  // The name still belongs to the first, which still works; no process leaked.
  CHECK(otpp::whereis(rt, "solo") == first.pid());
  CHECK(otpp::call(first, named::get{}) == 1);
  CHECK(rt.process_count() == count);
}

TEST_CASE("registry: a failed or ignored init releases the name", "[registry]") {
  otpp::runtime rt{quiet()};
  SECTION("init returns stop") {
    CHECK_THROWS_AS(otpp::start<failing>(rt, otpp::name{"x"}, false), otpp::start_error);
  }
  SECTION("init throws") {
    CHECK_THROWS_AS(otpp::start<failing>(rt, otpp::name{"x"}, true), otpp::start_error);
  }
  SECTION("init returns ignore") { CHECK_FALSE(otpp::start<ignoring>(rt, otpp::name{"x"})); }
  CHECK_FALSE(otpp::whereis(rt, "x"));
  CHECK(rt.process_count() == 0);
  auto s = otpp::start<named>(rt, otpp::name{"x"}, 3);
  CHECK(otpp::whereis(rt, "x") == s.pid());
}

TEST_CASE("registry: two threads racing to start the same name, exactly one wins", "[registry]") {
  otpp::runtime rt{quiet()};
  constexpr int rounds = 50;
  for (int round = 0; round < rounds; ++round) {
    const std::string n = fmt::format("race-{}", round);
    std::barrier sync(2);
    std::atomic<int> wins{0};
    std::atomic<int> losses{0};
    otpp::pid winners[2];
    otpp::pid holders[2];
    auto contender = [&](int i) {
      sync.arrive_and_wait();
      try {
        winners[i] = otpp::start<named>(rt, otpp::name{n}, i).pid();
        wins.fetch_add(1);
      } catch (const otpp::start_error& e) {
        if (e.code() == otpp::errc::already_started) losses.fetch_add(1);
        holders[i] = e.holder();
      }
    };
    std::thread t0(contender, 0);
    std::thread t1(contender, 1);
    t0.join();
    t1.join();
    INFO("round " << round);
    REQUIRE(wins.load() == 1);
    REQUIRE(losses.load() == 1);
    const int w = winners[0] ? 0 : 1;
    CHECK(holders[1 - w] == winners[w]);
    CHECK(otpp::whereis(rt, n) == winners[w]);
    CHECK(otpp::call(otpp::server_ref<named>(rt, otpp::name{n}), named::get{}) == w);
  }
  CHECK(rt.process_count() == static_cast<std::size_t>(rounds));
}
