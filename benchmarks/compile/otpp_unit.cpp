// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// Compile cost (WORKLOADS.md, C1): a translation unit as a user writes one,
// otpp/otpp.hpp and a typical gen_server. scripts/bench.sh compiles it beside
// asio_unit.cpp and reports the time and peak memory of each.

#include <otpp/otpp.hpp>

#include <fmt/format.h>

#include <map>
#include <string>

struct config_server : otpp::gen_server<config_server> {
  struct get {
    using reply_type = std::string;
    std::string key;
  };
  struct put {
    std::string key;
    std::string value;
  };
  struct size {
    using reply_type = std::size_t;
  };

  std::map<std::string, std::string> entries;

  std::string handle_call(get g) { return entries.count(g.key) ? entries[g.key] : std::string(); }
  std::size_t handle_call(size) { return entries.size(); }
  void handle_cast(put p) { entries[p.key] = std::move(p.value); }
  void handle_info(otpp::message m) { fmt::print("unexpected message: {}\n", m.type().name()); }
};

int main() {
  otpp::runtime rt;
  auto server = otpp::start<config_server>(rt, otpp::name{"config"});
  otpp::cast(server, config_server::put{"colour", "blue"});
  fmt::print("{} ({} entries)\n", otpp::call(server, config_server::get{"colour"}),
             otpp::call(server, config_server::size{}));
  return 0;
}
