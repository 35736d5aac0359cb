// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// A checker: one gen_server per monitored service, under a dynamic_supervisor.
#pragma once

#include "http_check.hpp"
#include "status.hpp"

#include <otpp/otpp.hpp>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

namespace service_monitor {

// Checks one service on a schedule driven by send_after, keeps its health,
// and hands every outcome to `report` (the services registry, which owns
// the checker). A crash loses only this service's counters: its supervisor
// starts a fresh checker, which begins again at `pending`.
struct checker : otpp::gen_server<checker> {
  struct check {};  // info: time for the next check
  struct crash {};  // cast: fail on purpose, to show the supervisor at work

  using report_fn = std::function<void(const service_status&)>;

  checker(service_config config, report_fn report)
      : config_(std::move(config)), report_(std::move(report)) {
    status_.name = config_.name;
    status_.url = config_.url.str();
  }

  otpp::init_result init() {
    status_.checker = self();
    report_(status_);  // `pending`: a restarted checker starts over
    send_after(std::chrono::milliseconds(0), check{});
    return otpp::ok();
  }

  // A coroutine: while the request is in flight this checker takes no other
  // message, and no thread waits for the network.
  otpp::awaitable<void> handle_info(check) {
    const check_result r = co_await http_check(config_.url, config_.timeout);
    ++status_.checks;
    status_.consecutive_failures = r.ok ? 0 : status_.consecutive_failures + 1;
    status_.state = r.ok                                                   ? health::healthy
                    : status_.consecutive_failures >= config_.max_failures ? health::critical
                                                                           : health::degraded;
    status_.response_time = r.elapsed;
    status_.last_check = std::chrono::system_clock::now();
    status_.detail = r.detail;
    report_(status_);
    send_after(config_.interval, check{});
  }

  void handle_cast(crash) { throw std::runtime_error("fault injected on purpose"); }

  // As Elixir's child_spec/1: permanent, so a crashed checker comes back.
  // Registered as `name`, so the current incarnation can be found.
  static otpp::child_spec child_spec(std::string name, service_config config, report_fn report) {
    otpp::child_spec spec;
    spec.id = config.name;
    spec.start = [name = std::move(name), config = std::move(config), report = std::move(report)] {
      return otpp::start_link<checker>(otpp::name{name}, config, report).pid();
    };
    return spec;
  }

 private:
  service_config config_;
  report_fn report_;
  service_status status_;
};

}  // namespace service_monitor
