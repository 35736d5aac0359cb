// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// The reporter: the one process that writes to the terminal.
#pragma once

#include "status.hpp"

#include <otpp/otpp.hpp>

#include <fmt/color.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

namespace service_monitor {

// Prints one line per event and a status table redrawn every second. All
// output goes through this process, so lines never interleave. On a
// terminal the table is redrawn in place; otherwise it is printed anew.
struct reporter : otpp::gen_server<reporter> {
  struct event {  // cast: a log line, about one service or (empty) none
    std::string service;
    std::string text;
  };
  struct transition {  // cast: a service changed state
    std::string service;
    health from;
    health to;
    std::string detail;
  };
  struct table {  // cast: the latest status of every service
    std::vector<service_status> services;
  };
  struct history {  // call: the states each service went through, in order
    using reply_type = std::map<std::string, std::vector<health>>;
  };
  struct tick {};  // info: time to redraw

  reporter() : start_(std::chrono::steady_clock::now()), tty_(::isatty(STDOUT_FILENO) == 1) {}

  otpp::init_result init() {
    send_after(std::chrono::seconds(1), tick{});
    return otpp::ok();
  }

  void handle_cast(event e) {
    log(e.service.empty() ? e.text : fmt::format("{:<{}} {}", e.service, width_, e.text));
  }

  void handle_cast(transition t) {
    auto& path = history_[t.service];
    if (path.empty()) path.push_back(t.from);
    path.push_back(t.to);
    log(fmt::format("{:<{}} {} -> {}  ({})", t.service, width_, paint(t.from), paint(t.to),
                    t.detail));
  }

  void handle_cast(table t) {
    services_ = std::move(t.services);
    for (const auto& s : services_) width_ = std::max(width_, s.name.size());
  }

  history::reply_type handle_call(history) { return history_; }

  void handle_info(tick) {
    erase_table();
    draw_table();
    send_after(std::chrono::seconds(1), tick{});
  }

 private:
  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  std::string paint(health h) const {
    const auto text = std::string(to_string(h));
    if (!tty_) return text;
    const auto color = h == health::healthy    ? fmt::terminal_color::green
                       : h == health::degraded ? fmt::terminal_color::yellow
                       : h == health::critical ? fmt::terminal_color::red
                                               : fmt::terminal_color::white;
    return fmt::format(fmt::fg(color), "{}", text);
  }

  void log(const std::string& line) {
    erase_table();
    fmt::print("[{:6.2f}s] {}\n", seconds_since_start(), line);
    if (tty_) draw_table();
    std::fflush(stdout);
  }

  // On a terminal, moves the cursor back over the last table and clears it.
  void erase_table() {
    if (tty_ && drawn_lines_ > 0) fmt::print("\x1b[{}A\r\x1b[J", drawn_lines_);
    drawn_lines_ = 0;
  }

  void draw_table() {
    const auto now = std::chrono::system_clock::now();
    std::string out = fmt::format("[{:6.2f}s] {:<{}} {:<9} {:>9} {:>6} {:>7} {:>10}  {}\n",
                                  seconds_since_start(), "service", width_, "state", "response",
                                  "fails", "checks", "checked", "last result");
    for (const auto& s : services_) {
      const std::string response =
          s.response_time ? fmt::format("{} ms", s.response_time->count()) : "-";
      const std::string checked =
          s.last_check ? fmt::format("{:.1f}s ago",
                                     std::chrono::duration<double>(now - *s.last_check).count())
                       : "-";
      // Pad the state before painting it: escape codes have no width.
      const auto state = std::string(to_string(s.state));
      out += fmt::format("{:9} {:<{}} {}{} {:>9} {:>6} {:>7} {:>10}  {}\n", "", s.name, width_,
                         paint(s.state), std::string(9 - state.size(), ' '), response,
                         s.consecutive_failures, s.checks, checked, s.detail);
    }
    fmt::print("{}", out);
    std::fflush(stdout);
    drawn_lines_ = static_cast<int>(services_.size()) + 1;
  }

  std::chrono::steady_clock::time_point start_;
  bool tty_;
  int drawn_lines_ = 0;
  std::size_t width_ = 10;  // of the service column: the longest name so far
  std::vector<service_status> services_;
  history::reply_type history_;
};

}  // namespace service_monitor
