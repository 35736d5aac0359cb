// The smallest program that uses otpp as a package: a gen_server called once.
#include <otpp/otpp.hpp>

#include <fmt/format.h>

struct counter : otpp::gen_server<counter> {
  struct get {
    using reply_type = int;
  };
  struct add {
    int by;
  };

  int value = 0;

  int handle_call(get) { return value; }
  void handle_cast(add a) { value += a.by; }
};

int main() {
  otpp::runtime rt(otpp::runtime_options{.workers = 1});
  auto c = otpp::start<counter>(rt);
  otpp::cast(c, counter::add{2});
  const int value = otpp::call(c, counter::get{});
  fmt::print("otpp {}.{}.{}: counter says {}\n", OTPP_VERSION_MAJOR, OTPP_VERSION_MINOR,
             OTPP_VERSION_PATCH, value);
  return value == 2 ? 0 : 1;
}
