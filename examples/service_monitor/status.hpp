// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// What the service monitor knows about one service, shared by its processes.
#pragma once

#include "url.hpp"

#include <otpp/otpp.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace service_monitor {

// A service's health, as the GenServer tutorials' ServiceMonitor has it:
// healthy after a good check, degraded after a failed one, critical after
// `max_failures` failures in a row. `pending` until the first check ends.
enum class health { pending, healthy, degraded, critical };

inline std::string_view to_string(health h) {
  switch (h) {
    case health::pending:
      return "pending";
    case health::healthy:
      return "healthy";
    case health::degraded:
      return "degraded";
    case health::critical:
      return "critical";
  }
  return "?";
}

// How to check one service.
struct service_config {
  std::string name;
  service_monitor::url url;
  std::chrono::milliseconds interval{1000};  // between the end of a check and the next
  std::chrono::milliseconds timeout{1000};   // for connect, request and response together
  int max_failures = 3;                      // failures in a row that make it critical
};

// The outcome of one check, and where the service stands after it.
struct service_status {
  std::string name;
  std::string url;
  health state = health::pending;
  int consecutive_failures = 0;
  int checks = 0;
  std::optional<std::chrono::milliseconds> response_time;  // of the last check
  std::optional<std::chrono::system_clock::time_point> last_check;
  std::string detail;  // "200 OK", "HTTP 500", "timed out after 1000 ms", ...
  otpp::pid checker;   // the checker process that reported this
};

}  // namespace service_monitor
