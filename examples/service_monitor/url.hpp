// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// http:// URLs, parsed up front so that bad input is refused before anything starts.
#pragma once

#include <cctype>
#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

namespace service_monitor {

struct url {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query, as sent in the request line

  std::string str() const { return "http://" + host + ":" + port + target; }
};

// Parses "http://host[:port][/path]"; throws std::invalid_argument saying
// what is wrong (only plain http is supported: the demo has no TLS).
inline url parse_url(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return std::invalid_argument("malformed URL '" + std::string(text) + "': " + std::string(why));
  };
  constexpr std::string_view scheme = "http://";
  if (text.substr(0, scheme.size()) != scheme) {
    if (text.substr(0, 8) == "https://") throw bad("only http:// is supported");
    throw bad("expected http://host[:port][/path]");
  }
  std::string_view rest = text.substr(scheme.size());
  const auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  url u;
  if (slash != std::string_view::npos) {
    if (rest[slash] == '#') throw bad("fragments are not sent to servers");
    u.target = std::string(rest.substr(slash));
    if (u.target.front() == '?') u.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) throw bad("user information is not supported");
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      throw bad("the port must be a number from 1 to 65535");
    u.port = std::string(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) throw bad("no host");
  for (char c : authority)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'))
      throw bad("the host may hold only letters, digits, '-' and '.'");
  u.host = std::string(authority);
  return u;
}

}  // namespace service_monitor
