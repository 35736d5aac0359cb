// Tests of a program built with OTPP_SEPARATE_COMPILATION: the runtime is
// compiled once (src.cpp), a gen_server is defined in one unit (counter.cpp)
// and used from this one. The rest of the suite covers behaviour in depth,
// header-only; these check that the separately compiled runtime is the same
// runtime: calls, casts, names, errors and a supervisor's restart; each test
// ends with the runtime's shutdown.
#include "counter.hpp"
#include "../support.hpp"

#include <otpp/error.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/registry.hpp>

#include <catch2/catch.hpp>

using otpp_test::eventually;
using otpp_test::quiet;

TEST_CASE("separate compilation: a server defined in another unit answers calls and casts") {
  otpp::runtime rt(quiet());
  auto c = start_counter(rt, "counter");
  otpp::cast(c, counter::add{2});
  otpp::cast(c, counter::add{3});
  CHECK(otpp::call(c, counter::get{}) == 5);
  CHECK(otpp::whereis(rt, "counter") == c.pid());
  CHECK_THROWS_AS(start_counter(rt, "counter"), otpp::start_error);
}

TEST_CASE("separate compilation: a call to a stopped server fails with noproc") {
  otpp::runtime rt(quiet(1));
  auto c = start_counter(rt, "counter");
  otpp::stop(c);
  CHECK_FALSE(otpp::is_alive(c.pid()));
  try {
    otpp::call(c, counter::get{});
    FAIL("call to a stopped server returned");
  } catch (const otpp::call_error& e) {
    CHECK(e.code() == otpp::errc::noproc);
  }
}

TEST_CASE("separate compilation: a supervisor restarts a crashed child with fresh state") {
  otpp::runtime rt(quiet());
  auto sup = start_counter_supervisor(rt, "supervised");
  otpp::server_ref<counter> c(rt, otpp::name{"supervised"});
  otpp::cast(c, counter::add{7});
  CHECK(otpp::call(c, counter::get{}) == 7);
  const otpp::pid old = otpp::whereis(rt, "supervised");
  otpp::cast(c, counter::crash{});
  // which_children is a call: the supervisor answers it between exits and restarts.
  otpp::pid fresh;
  REQUIRE(eventually([&] {
    for (const auto& child : otpp::which_children(sup)) fresh = child.child;
    return fresh && fresh != old;
  }));
  CHECK_FALSE(otpp::is_alive(old));
  CHECK(otpp::call(otpp::server_ref<counter>(fresh), counter::get{}) == 0);
  CHECK(otpp::whereis(rt, "supervised") == fresh);
}
