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
  // The Host header's value: the port only when it is not 80 (RFC 9110, 7.2).
  std::string host_header() const { return port == "80" ? host : host + ":" + port; }
};

namespace detail {

inline bool is_unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

// A character that may stand in a request target (RFC 3986's path and query).
inline bool is_target_char(char c) {
  return is_unreserved(c) || std::string_view("!$&'()*+,;=:@/?%").find(c) != std::string_view::npos;
}

// DNS labels (letters, digits, '-', not at either end) or a dotted IPv4 address.
inline bool is_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    const auto dot = host.find('.', start);
    const std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

inline bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

}  // namespace detail

// Parses "http://host[:port][/path][?query]"; throws std::invalid_argument
// saying what is wrong. Only plain http (the demo has no TLS), host names and
// IPv4 addresses, and targets made of the characters RFC 3986 allows (so that
// nothing can be smuggled into the request line).
inline url parse_url(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return std::invalid_argument("malformed URL '" + std::string(text) + "': " + std::string(why));
  };
  if (detail::starts_with_nocase(text, "https://")) throw bad("only http:// is supported");
  if (!detail::starts_with_nocase(text, "http://")) throw bad("expected http://host[:port][/path]");
  if (text.find('#') != std::string_view::npos) throw bad("fragments are not sent to servers");
  const std::string_view rest = text.substr(7);
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  url u;
  if (slash != std::string_view::npos) {
    u.target = std::string(rest.substr(slash));
    if (u.target.front() == '?') u.target.insert(0, "/");
    for (char c : u.target)
      if (!detail::is_target_char(c)) throw bad("the path may hold only URL characters (percent-encode the rest)");
  }
  if (authority.find('@') != std::string_view::npos) throw bad("user information is not supported");
  if (authority.starts_with('[')) throw bad("IPv6 addresses are not supported");
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      throw bad("the port must be a number from 1 to 65535");
    u.port = std::to_string(value);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) throw bad("no host");
  if (!detail::is_host(authority)) throw bad("the host must be a name (letters, digits, '-', dots) or an IPv4 address");
  u.host = std::string(authority);
  return u;
}

}  // namespace service_monitor
