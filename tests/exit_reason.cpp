// Test that header file is self-contained.
#include <otpp/exit_reason.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace otpp_test {
// A named (not anonymous) namespace, so that the demangled type name is predictable.
struct custom_error : std::logic_error {
  using std::logic_error::logic_error;
};
}  // namespace otpp_test

namespace {

using kind = otpp::exit_reason::kind;

std::string str(const otpp::exit_reason& r) { return fmt::format("{}", r); }

}  // namespace

TEST_CASE("exit_reason: a default-constructed reason is normal", "[exit_reason]") {
  const otpp::exit_reason r;
  CHECK(r.what() == kind::normal);
  CHECK(r.is_normal());
  CHECK_FALSE(r.is_shutdown());
  CHECK_FALSE(r.is_abnormal());
  CHECK(r.detail().empty());
  CHECK(r == otpp::normal);
}

TEST_CASE("exit_reason: the well-known reasons have their kinds", "[exit_reason]") {
  CHECK(otpp::exit_reason(kind::shutdown) == otpp::shutdown);
  CHECK(otpp::exit_reason(kind::killed).is_abnormal());
  CHECK(otpp::normal.what() == kind::normal);
  CHECK(otpp::shutdown.what() == kind::shutdown);
  CHECK(otpp::kill.what() == kind::kill);
  CHECK(otpp::killed.what() == kind::killed);
  CHECK(otpp::noproc.what() == kind::noproc);
  for (const auto* r : {&otpp::normal, &otpp::shutdown, &otpp::kill, &otpp::killed, &otpp::noproc}) {
    INFO(str(*r));
    CHECK(r->detail().empty());
  }
}

TEST_CASE("exit_reason: is_normal, is_shutdown and is_abnormal for each kind", "[exit_reason]") {
  struct row {
    otpp::exit_reason reason;
    bool normal, shutdown, abnormal;
  };
  const std::vector<row> rows = {
      {otpp::normal, true, false, false},
      {otpp::shutdown, false, true, false},
      {otpp::exit_reason::shutdown_with("detail"), false, true, false},
      {otpp::kill, false, false, true},
      {otpp::killed, false, false, true},
      {otpp::noproc, false, false, true},
      {otpp::exit_reason::error("boom"), false, false, true},
      {otpp::exit_reason::from_exception(std::make_exception_ptr(std::runtime_error("boom"))), false,
       false, true},
  };
  for (const auto& r : rows) {
    INFO("reason " << str(r.reason));
    CHECK(r.reason.is_normal() == r.normal);
    CHECK(r.reason.is_shutdown() == r.shutdown);
    CHECK(r.reason.is_abnormal() == r.abnormal);
  }
}

TEST_CASE("exit_reason: shutdown_with keeps its detail", "[exit_reason]") {
  const auto r = otpp::exit_reason::shutdown_with("maintenance");
  CHECK(r.what() == kind::shutdown);
  CHECK(r.is_shutdown());
  CHECK(r.detail() == "maintenance");
}

TEST_CASE("exit_reason: error keeps its text", "[exit_reason]") {
  const auto r = otpp::exit_reason::error("boom");
  CHECK(r.what() == kind::error);
  CHECK(r.is_abnormal());
  CHECK(r.detail() == "boom");
}

TEST_CASE("exit_reason: from_exception holds the exception's type and what()", "[exit_reason]") {
  SECTION("std::runtime_error") {
    const auto r = otpp::exit_reason::from_exception(std::make_exception_ptr(std::runtime_error("boom")));
    CHECK(r.what() == kind::exception);
    CHECK(r.is_abnormal());
    CHECK(r.detail() == "std::runtime_error: boom");
  }
  SECTION("a thrown and caught exception of a user type (dynamic type, not the static one)") {
    otpp::exit_reason r;
    try {
      throw otpp_test::custom_error("bad input");
    } catch (const std::exception&) {
      r = otpp::exit_reason::from_exception(std::current_exception());
    }
    CHECK(r.what() == kind::exception);
    CHECK(r.detail() == "otpp_test::custom_error: bad input");
  }
  SECTION("an exception that is not a std::exception") {
    const auto r = otpp::exit_reason::from_exception(std::make_exception_ptr(42));
    CHECK(r.what() == kind::exception);
    CHECK(r.is_abnormal());
    CHECK(r.detail() == "unknown exception");
  }
}

TEST_CASE("exit_reason: equality compares kind and detail", "[exit_reason]") {
  using otpp::exit_reason;
  CHECK(otpp::normal == exit_reason());
  CHECK(otpp::shutdown == exit_reason(kind::shutdown));
  CHECK(exit_reason::error("boom") == exit_reason::error("boom"));
  CHECK(exit_reason::shutdown_with("x") == exit_reason::shutdown_with("x"));

  CHECK(otpp::normal != otpp::shutdown);
  CHECK(otpp::kill != otpp::killed);
  CHECK(otpp::noproc != otpp::killed);
  CHECK(otpp::shutdown != exit_reason::shutdown_with("x"));
  CHECK(exit_reason::shutdown_with("x") != exit_reason::shutdown_with("y"));
  CHECK(exit_reason::error("a") != exit_reason::error("b"));
  // Same text, different kinds.
  CHECK(exit_reason::error("x") != exit_reason::shutdown_with("x"));
  CHECK(exit_reason::from_exception(std::make_exception_ptr(std::runtime_error("boom"))) !=
        exit_reason::error("std::runtime_error: boom"));
  CHECK(exit_reason::from_exception(std::make_exception_ptr(std::runtime_error("boom"))) ==
        exit_reason::from_exception(std::make_exception_ptr(std::runtime_error("boom"))));
}

TEST_CASE("exit_reason: copies share the text and compare equal", "[exit_reason]") {
  const auto a = otpp::exit_reason::error("shared text");
  const auto b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  CHECK(a == b);
  CHECK(a.detail().data() == b.detail().data());
  otpp::exit_reason c;
  c = b;
  CHECK(c == a);
  CHECK(c.detail() == "shared text");
}

TEST_CASE("exit_reason: formats as Erlang prints reasons", "[exit_reason][fmt]") {
  CHECK(str(otpp::normal) == "normal");
  CHECK(str(otpp::shutdown) == "shutdown");
  CHECK(str(otpp::exit_reason::shutdown_with("detail")) == "{shutdown,detail}");
  CHECK(str(otpp::kill) == "kill");
  CHECK(str(otpp::killed) == "killed");
  CHECK(str(otpp::noproc) == "noproc");
  CHECK(str(otpp::exit_reason::error("boom")) == "boom");
  CHECK(str(otpp::exit_reason::from_exception(std::make_exception_ptr(std::runtime_error("boom")))) ==
        "{exception,std::runtime_error: boom}");
  CHECK(fmt::format("exited: {}, then {}", otpp::killed, otpp::noproc) == "exited: killed, then noproc");
}

// Regression: the formatter once parsed width/fill/alignment and ignored them.
TEST_CASE("exit_reason: format specs such as width are honoured", "[exit_reason][fmt]") {
  CHECK(fmt::format("{:>8}", otpp::normal) == "  normal");
  CHECK(fmt::format("[{:<9}]", otpp::noproc) == "[noproc   ]");
}
