// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// The services registry: the ServiceMonitor of the GenServer tutorials.
#pragma once

#include "checker.hpp"
#include "reporter.hpp"
#include "status.hpp"

#include <otpp/otpp.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace service_monitor {

// Which services are monitored, and how each is doing. Adding a service
// starts its checker under the `checkers` dynamic_supervisor; the registry
// monitors every checker, so it sees a crash (and the restarted checker's
// first report) and tells the reporter about each change of state.
struct services : otpp::gen_server<services> {
  struct add {  // call: monitor a service; false if the name is taken or its checker failed to
                // start
    using reply_type = bool;
    service_config config;
  };
  struct remove {  // call: stop monitoring a service; false if unknown
    using reply_type = bool;
    std::string name;
  };
  struct status {  // call: one service's status, if it is monitored
    using reply_type = std::optional<service_status>;
    std::string name;
  };
  struct all {  // call: every service's status, in the order they were added
    using reply_type = std::vector<service_status>;
  };
  struct update {  // cast: a checker's report after each check
    service_status status;
  };

  services(otpp::runtime& rt, otpp::dynamic_supervisor_ref checkers, otpp::server_ref<reporter> out)
      : rt_(rt), checkers_(std::move(checkers)), out_(std::move(out)) {}

  // A checker's registered name: how the current incarnation is found.
  static std::string checker_name(const std::string& service) { return "checker/" + service; }

  bool handle_call(add a) {
    if (find(a.config.name)) return false;
    service_status entry;
    entry.name = a.config.name;
    entry.url = a.config.url.str();
    // The checker reports to this registry by pid: a restarted registry
    // comes with restarted checkers (they share a one_for_all supervisor).
    checker::report_fn report = [me = otpp::server_ref<services>(self())](const service_status& s) {
      otpp::cast(me, update{s});
    };
    try {
      entry.checker = otpp::start_child(
          checkers_, checker::child_spec(checker_name(a.config.name), a.config, std::move(report)));
    } catch (const std::exception& e) {
      otpp::cast(
          out_, reporter::event{a.config.name,
                                fmt::format("not added: its checker did not start: {}", e.what())});
      return false;
    }
    otpp::monitor(entry.checker);
    otpp::cast(out_, reporter::event{entry.name, fmt::format("added, checking {}", entry.url)});
    entries_.push_back(std::move(entry));
    publish();
    return true;
  }

  bool handle_call(remove r) {
    auto* e = find(r.name);
    if (!e) return false;
    entries_.erase(entries_.begin() + (e - entries_.data()));  // its `down` then finds no entry
    // Stop the checker by its name, not the pid last seen: it may have
    // crashed and been restarted since. It may also crash right now, and its
    // supervisor answer not_found for a pid it has just replaced: try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const otpp::pid current = otpp::whereis(rt_, checker_name(r.name));
      if (!current) break;
      try {
        otpp::terminate_child(checkers_, current);
        break;
      } catch (const otpp::call_error& error) {
        if (error.code() != make_error_code(otpp::errc::not_found)) throw;
      }
    }
    otpp::cast(out_, reporter::event{r.name, "removed"});
    publish();
    return true;
  }

  std::optional<service_status> handle_call(status s) {
    if (auto* e = find(s.name)) return *e;
    return std::nullopt;
  }

  std::vector<service_status> handle_call(all) { return entries_; }

  void handle_cast(update u) {
    auto* e = find(u.status.name);
    if (!e) return;                                   // removed meanwhile
    if (!otpp::is_alive(u.status.checker)) return;  // a late report from a checker now gone
    if (e->checker != u.status.checker) {
      // The first report of a restarted checker (`pending`, as every
      // checker's first report is): watch the new incarnation.
      otpp::monitor(u.status.checker);
      otpp::cast(out_,
                 reporter::event{e->name, fmt::format("checker restarted by its supervisor as {}",
                                                      u.status.checker)});
    }
    if (u.status.state != e->state)
      otpp::cast(out_, reporter::transition{
                           e->name, e->state, u.status.state,
                           u.status.checks ? u.status.detail : "a new checker starts over"});
    *e = std::move(u.status);
    publish();
  }

  // A checker exited. A crash is its supervisor's to mend: the restarted
  // checker's first report (above) moves the service back to `pending`.
  // Any other exit means the checkers' supervisor is stopping, and this
  // registry with it (one_for_all).
  void handle_info(otpp::down d) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const auto& e) { return e.checker == d.who; });
    if (it == entries_.end() || !d.reason.is_abnormal()) return;  // removed, replaced, or stopping
    otpp::cast(out_, reporter::event{it->name, fmt::format("checker {} crashed: {}", d.who, d.reason)});
  }

 private:
  service_status* find(const std::string& name) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const auto& e) { return e.name == name; });
    return it == entries_.end() ? nullptr : &*it;
  }

  void publish() { otpp::cast(out_, reporter::table{entries_}); }

  otpp::runtime& rt_;
  otpp::dynamic_supervisor_ref checkers_;
  otpp::server_ref<reporter> out_;
  std::vector<service_status> entries_;
};

}  // namespace service_monitor
