// Test that header file is self-contained.
#include <otpp/pid.hpp>

#include <otpp/gen_server.hpp>
#include <otpp/process.hpp>
#include <otpp/runtime.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <compare>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace {

otpp::runtime_options quiet(unsigned workers = 2) {
  return {.workers = workers, .logger = [](otpp::log_level, std::string_view) {}};
}

std::string str(const otpp::pid& p) { return fmt::format("{}", p); }

struct idle : otpp::gen_server<idle> {
  struct whoami {
    using reply_type = otpp::pid;
  };
  otpp::pid handle_call(whoami) { return otpp::self(); }
};

}  // namespace

TEST_CASE("pid: a default-constructed pid names no process", "[pid]") {
  const otpp::pid p;
  CHECK_FALSE(p);
  CHECK(p.id() == 0);
  CHECK(p.get() == nullptr);
  CHECK(str(p) == "<undefined>");
  CHECK(p == otpp::pid());
  CHECK((p <=> otpp::pid()) == std::strong_ordering::equal);
  CHECK(std::hash<otpp::pid>()(p) == std::hash<otpp::pid>()(otpp::pid()));
  CHECK_FALSE(otpp::is_alive(p));
}

TEST_CASE("pid: formats as Erlang prints a local pid", "[pid][fmt]") {
  otpp::runtime rt{quiet()};
  const otpp::pid p = otpp::start<idle>(rt).pid();
  REQUIRE(p);
  CHECK(p.id() != 0);
  CHECK(str(p) == fmt::format("<0.{}.0>", p.id()));
  CHECK(fmt::format("pid {} here", p) == fmt::format("pid <0.{}.0> here", p.id()));
}

TEST_CASE("pid: copies compare equal; distinct processes do not", "[pid]") {
  otpp::runtime rt{quiet()};
  const auto a = otpp::start<idle>(rt);
  const auto b = otpp::start<idle>(rt);
  const otpp::pid pa = a.pid();
  const otpp::pid pb = b.pid();
  const otpp::pid pa2 = pa;  // NOLINT(performance-unnecessary-copy-initialization)

  CHECK(pa == pa2);
  CHECK(pa != pb);
  CHECK(pa.id() != pb.id());
  CHECK(pa != otpp::pid());
  // The pid a server sees for itself is the one start returned.
  CHECK(otpp::call(a, idle::whoami{}) == pa);
  CHECK(otpp::call(b, idle::whoami{}) == pb);
  // Ordered by serial number: the first started is less.
  CHECK(pa < pb);
  CHECK(pb > pa);
  CHECK((pa <=> pa2) == std::strong_ordering::equal);
  CHECK(otpp::pid() < pa);
}

TEST_CASE("pid: moving leaves the source empty", "[pid]") {
  otpp::runtime rt{quiet()};
  otpp::pid a = otpp::start<idle>(rt).pid();
  const otpp::pid keep = a;
  otpp::pid b = std::move(a);
  CHECK_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from pid is documented empty
  CHECK(b == keep);
  otpp::pid c;
  c = std::move(b);
  CHECK_FALSE(b);  // NOLINT(bugprone-use-after-move)
  CHECK(c == keep);
  otpp::pid& same = c;
  c = same;  // self-assignment keeps the reference
  CHECK(c == keep);
}

TEST_CASE("pid: hashable and usable as a key", "[pid]") {
  otpp::runtime rt{quiet()};
  const otpp::pid a = otpp::start<idle>(rt).pid();
  const otpp::pid b = otpp::start<idle>(rt).pid();
  const otpp::pid c = otpp::start<idle>(rt).pid();

  CHECK(std::hash<otpp::pid>()(a) == std::hash<otpp::pid>()(otpp::pid(a)));

  std::unordered_set<otpp::pid> set;
  CHECK(set.insert(a).second);
  CHECK(set.insert(b).second);
  CHECK_FALSE(set.insert(otpp::pid(a)).second);
  CHECK(set.size() == 2);
  CHECK(set.count(a) == 1);
  CHECK(set.count(b) == 1);
  CHECK(set.count(c) == 0);
  CHECK(set.count(otpp::pid()) == 0);

  std::set<otpp::pid> ordered{c, a, b, a};
  REQUIRE(ordered.size() == 3);
  CHECK(*ordered.begin() == a);
  CHECK(*ordered.rbegin() == c);

  std::map<otpp::pid, int> m;
  m[a] = 1;
  m[b] = 2;
  m[otpp::pid(a)] += 10;
  CHECK(m.at(a) == 11);
  CHECK(m.at(b) == 2);
}

TEST_CASE("pid: a pid of an exited process stays valid", "[pid]") {
  otpp::runtime rt{quiet()};
  auto s = otpp::start<idle>(rt);
  const otpp::pid p = s.pid();
  const std::string before = str(p);
  otpp::stop(s);
  CHECK_FALSE(otpp::is_alive(p));
  CHECK(str(p) == before);
  CHECK(p == s.pid());
  otpp::send(p, 42);  // a no-op, never a failure
}

TEST_CASE("pid: a pid outliving its runtime is safe to copy, compare and format", "[pid]") {
  otpp::pid p;
  otpp::pid q;
  std::uint64_t id = 0;
  {
    otpp::runtime rt{quiet()};
    p = otpp::start<idle>(rt).pid();
    q = otpp::start<idle>(rt).pid();
    id = p.id();
    REQUIRE(otpp::is_alive(p));
  }
  const otpp::pid copy = p;  // NOLINT(performance-unnecessary-copy-initialization)
  CHECK(copy == p);
  CHECK(copy != q);
  CHECK(copy < q);
  CHECK(p.id() == id);
  CHECK(str(copy) == fmt::format("<0.{}.0>", id));
  CHECK_FALSE(otpp::is_alive(p));
  CHECK_FALSE(otpp::is_alive(q));
  std::unordered_set<otpp::pid> set{p, q, copy};
  CHECK(set.size() == 2);
  otpp::send(p, 1);  // the process is gone: nothing happens
  otpp::exit(p, otpp::kill);
}

// Regression: serial numbers were once per runtime, so two pids of two
// runtimes could be unequal yet ordered equal, and a std::set<pid> merged them.
TEST_CASE("pid: ordering is consistent with equality across runtimes", "[pid]") {
  otpp::runtime rt1{quiet(1)};
  otpp::runtime rt2{quiet(1)};
  const otpp::pid a = otpp::start<idle>(rt1).pid();
  const otpp::pid b = otpp::start<idle>(rt2).pid();
  REQUIRE(a != b);
  CHECK((a <=> b) != std::strong_ordering::equal);
  CHECK(a.id() != b.id());
  CHECK(str(a) != str(b));
  std::set<otpp::pid> s{a, b};
  CHECK(s.size() == 2);
}

// Regression: the formatter once parsed width/fill/alignment and ignored them.
TEST_CASE("pid: format specs such as width are honoured", "[pid][fmt]") {
  CHECK(fmt::format("{:>13}", otpp::pid()) == "  <undefined>");
  CHECK(fmt::format("[{:<12}]", otpp::pid()) == "[<undefined> ]");
  otpp::runtime rt{quiet(1)};
  const otpp::pid p = otpp::start<idle>(rt).pid();
  const std::string plain = str(p);
  CHECK(fmt::format("{:*^{}}", p, plain.size() + 2) == "*" + plain + "*");
}
