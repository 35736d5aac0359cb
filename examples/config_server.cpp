// A key-value configuration server: get / set / get_all, a deferred reply
// for callers that wait for a key to be set, and terminate on shutdown.
// Run it: ./config_server
#include <otpp/otpp.hpp>

#include <fmt/ranges.h>

#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct config_server : otpp::gen_server<config_server> {
  struct get {
    using reply_type = std::optional<std::string>;
    std::string key;
  };
  struct set {
    std::string key;
    std::string value;
  };
  struct get_all {
    using reply_type = std::map<std::string, std::string>;
  };
  // Replies once `key` has a value: the reply is deferred with `from`.
  struct await_key {
    using reply_type = std::string;
    std::string key;
  };

  otpp::init_result init() {
    trap_exit();  // so that terminate runs when the runtime shuts down
    values["log_level"] = "info";
    return otpp::ok();
  }

  std::optional<std::string> handle_call(get g) {
    auto it = values.find(g.key);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }

  std::map<std::string, std::string> handle_call(get_all) { return values; }

  otpp::call_result<std::string> handle_call(await_key a, otpp::from<std::string> caller) {
    if (auto it = values.find(a.key); it != values.end()) return otpp::reply(it->second);
    waiting.emplace(a.key, caller);
    return otpp::noreply();  // answered by a later set
  }

  void handle_cast(set s) {
    auto [first, last] = waiting.equal_range(s.key);
    for (auto it = first; it != last; ++it) otpp::reply(it->second, s.value);
    waiting.erase(first, last);
    values[s.key] = std::move(s.value);
  }

  void terminate(const otpp::exit_reason& reason) {
    fmt::print("config_server terminating ({}), {} keys\n", reason, values.size());
  }

  std::map<std::string, std::string> values;
  std::multimap<std::string, otpp::from<std::string>> waiting;
};

int main() {
  otpp::runtime rt;
  auto config = otpp::start<config_server>(rt, otpp::name{"config"});

  // A plain thread blocks until "db_url" is set.
  std::thread waiter([&] {
    fmt::print("waiter got db_url = {}\n", otpp::call(config, config_server::await_key{"db_url"}));
  });

  otpp::cast(config, config_server::set{"db_url", "postgres://127.0.0.1/app"});
  otpp::cast(config, config_server::set{"pool_size", "8"});
  waiter.join();

  fmt::print("log_level = {}\n", otpp::call(config, config_server::get{"log_level"}).value_or("?"));
  fmt::print("missing   = {}\n", otpp::call(config, config_server::get{"missing"}).value_or("(unset)"));
  fmt::print("all       = {}\n", otpp::call(config, config_server::get_all{}));
  // Leaving main destroys the runtime: the trapping server's terminate runs.
}
