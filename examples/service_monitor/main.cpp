// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// service_monitor: health-checks HTTP endpoints under a supervision tree, as
// the ServiceMonitor of the GenServer tutorials does.
//
//   service_monitor (supervisor, one_for_one)
//   ├── reporter      gen_server: the terminal; a table every second, a line per event
//   └── monitor       supervisor, one_for_all: the registry and its checkers live and die together
//       ├── services  gen_server: the registry of monitored services (add, remove, status, all)
//       └── checkers  dynamic_supervisor
//           └── checker/<service>  gen_server per service: GET on a send_after schedule
//
// Run with no arguments, it starts its own endpoints on 127.0.0.1 (healthy,
// slow, failing with 500, and one that goes away and comes back), walks them
// through every state, crashes a checker on purpose for its supervisor to
// restart, prints a summary and exits. Run with URLs, it monitors those until
// Ctrl-C:
//
//   service_monitor
//   service_monitor http://127.0.0.1:8080/health http://example.com/
#include "endpoints.hpp"
#include "services.hpp"

#include <otpp/otpp.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sm = service_monitor;
using namespace std::chrono_literals;

namespace {

constexpr const char* usage =
    "usage: service_monitor                 run the self-contained demo (about 10 s)\n"
    "       service_monitor URL...          monitor http://host[:port][/path] URLs until Ctrl-C\n";

// The tree above. Its processes find each other by registered name.
otpp::supervisor_ref start_tree(otpp::runtime& rt) {
  const otpp::server_ref<sm::reporter> out(rt, otpp::name{"reporter"});
  const otpp::dynamic_supervisor_ref checkers(rt, otpp::name{"checkers"});

  auto reporter = otpp::child_spec_for<sm::reporter>(otpp::name{"reporter"});
  reporter.id = "reporter";
  auto services = otpp::child_spec_for<sm::services>(otpp::name{"services"}, std::ref(rt), checkers, out);
  services.id = "services";
  // one_for_all: the registry knows which checkers exist, so if either the
  // registry or the checkers' supervisor goes, both start over together.
  auto monitor = otpp::supervisor_child_spec(
      "monitor", {{.strategy = otpp::one_for_all},
                  {services, otpp::dynamic_supervisor_child_spec("checkers", {}, otpp::name{"checkers"})}});
  // one_for_one: the reporter and the monitor do not depend on each other.
  return otpp::start_supervisor(rt, {{.strategy = otpp::one_for_one}, {reporter, monitor}});
}

sm::service_config service(std::string name, std::string_view url) {
  sm::service_config c;
  c.name = std::move(name);
  c.url = sm::parse_url(url);
  return c;
}

// main()'s view of the running tree: the calls a user of the monitor makes.
class monitor_client {
 public:
  explicit monitor_client(otpp::runtime& rt)
      : rt_(rt), services_(rt, otpp::name{"services"}), out_(rt, otpp::name{"reporter"}) {}

  void say(const std::string& text) { otpp::cast(out_, sm::reporter::event{"", "==> " + text}); }

  void add(sm::service_config config) {
    const std::string name = config.name;
    if (!otpp::call(services_, sm::services::add{std::move(config)}))
      throw std::runtime_error(fmt::format("could not monitor {}", name));
  }
  bool remove(const std::string& name) { return otpp::call(services_, sm::services::remove{name}); }
  std::optional<sm::service_status> status(const std::string& name) {
    return otpp::call(services_, sm::services::status{name});
  }

  // Waits, up to `limit`, until `name`'s status satisfies `ok`.
  void wait_until(const std::string& name, const std::string& what,
                  const std::function<bool(const sm::service_status&)>& ok,
                  std::chrono::seconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto s = status(name); s && ok(*s)) return;
      std::this_thread::sleep_for(50ms);  // a person's pace: this is a demo script, not a test
    }
    throw std::runtime_error(
        fmt::format("{} did not become {} within {} s", name, what, limit.count()));
  }
  void wait_for(const std::string& name, sm::health h) {
    wait_until(name, std::string(sm::to_string(h)),
               [h](const sm::service_status& s) { return s.state == h; });
  }

  // Stops the tree in order and prints what happened; returns the exit code.
  int finish(otpp::supervisor_ref& tree, std::chrono::steady_clock::time_point started, bool demo) {
    const auto history = otpp::call(out_, sm::reporter::history{});
    otpp::stop(tree);  // children stop in reverse start order: checkers, services, reporter
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    fmt::print("\nsummary after {:.1f} s ({} processes left after the tree stopped):\n", seconds,
               rt_.process_count());
    std::set<std::pair<sm::health, sm::health>> seen;
    for (const auto& [name, path] : history) {
      std::string line;
      for (std::size_t i = 0; i < path.size(); ++i) {
        line += (i ? " -> " : "") + std::string(sm::to_string(path[i]));
        if (i) seen.emplace(path[i - 1], path[i]);
      }
      fmt::print("  {:<10} {}\n", name, line);
    }
    if (!demo) return 0;
    // The demo's endpoints must have driven every transition a monitor has.
    using enum sm::health;
    const std::pair<sm::health, sm::health> expected[] = {{pending, healthy},  {pending, degraded},
                                                          {healthy, degraded}, {degraded, critical},
                                                          {critical, healthy}, {healthy, pending}};
    int missing = 0;
    for (const auto& [from, to] : expected)
      if (!seen.contains({from, to})) {
        fmt::print("  missing transition: {} -> {}\n", sm::to_string(from), sm::to_string(to));
        ++missing;
      }
    fmt::print("{}\n", missing ? "some transitions did not happen"
                               : "every transition happened; the tree is stopped");
    return missing ? 1 : 0;
  }

 private:
  otpp::runtime& rt_;
  otpp::server_ref<sm::services> services_;
  otpp::server_ref<sm::reporter> out_;
};

// otpp's crash reports go to the reporter (as an OTP logger handler would),
// so that they do not tear the table; to stderr while there is none.
std::atomic<otpp::runtime*> logging_runtime{nullptr};

void log_line(otpp::log_level level, std::string_view text) {
  if (otpp::runtime* rt = logging_runtime.load()) {
    const otpp::server_ref<sm::reporter> out(*rt, otpp::name{"reporter"});
    if (const otpp::pid p = out.pid(); p && p != otpp::self()) {  // not the reporter's own crash
      otpp::cast(out, sm::reporter::event{"", fmt::format("[otpp] {}", text)});
      return;
    }
  }
  otpp::default_logger(level, text);
}

int run_demo(otpp::runtime& rt) {
  const auto started = std::chrono::steady_clock::now();
  sm::endpoints world;
  auto tree = start_tree(rt);
  monitor_client m(rt);

  m.say("checking four local endpoints every second (timeout 1 s, critical after 3 failures)");
  m.add(service("healthy", world.url("/health")));
  m.add(service("slow", world.url("/slow")));
  m.add(service("error500", world.url("/error")));
  m.add(service("flapping", world.flapping_url()));
  m.wait_for("healthy", sm::health::healthy);
  m.wait_for("flapping", sm::health::healthy);
  m.wait_for("error500", sm::health::critical);

  m.say("adding a service at run time");
  m.add(service("late", world.url("/health")));
  m.wait_for("late", sm::health::healthy);

  m.say("flapping's server goes away: connections are refused");
  world.take_flapping_down();
  m.wait_for("flapping", sm::health::critical);
  m.wait_for("slow", sm::health::critical);

  m.say("flapping's server comes back");
  world.bring_flapping_back();
  m.wait_for("flapping", sm::health::healthy);

  m.say("crashing healthy's checker on purpose; its supervisor restarts it");
  const otpp::pid crashed = m.status("healthy")->checker;
  otpp::cast(otpp::server_ref<sm::checker>(rt, otpp::name{"checker/healthy"}),
             sm::checker::crash{});
  m.wait_until("healthy", "checked by a new checker", [&](const sm::service_status& s) {
    return s.checker != crashed && s.state == sm::health::healthy;
  });

  m.say("removing error500");
  m.remove("error500");
  if (m.status("error500")) throw std::runtime_error("error500 is still monitored after remove");

  m.say("watching for two more seconds");
  std::this_thread::sleep_for(2s);
  return m.finish(tree, started, true);
}

int run_urls(otpp::runtime& rt, const std::vector<std::string>& urls) {
  const auto started = std::chrono::steady_clock::now();
  boost::asio::io_context signals_context;
  boost::asio::signal_set signals(signals_context, SIGINT, SIGTERM);
  auto tree = start_tree(rt);
  monitor_client m(rt);
  for (const auto& url : urls) {
    auto config = service(url.substr(std::string_view("http://").size()), url);
    m.add(std::move(config));
  }
  m.say("monitoring until Ctrl-C");
  signals.async_wait(
      [&](const boost::system::error_code&, int) { m.say("interrupted: stopping the tree"); });
  signals_context.run();
  return m.finish(tree, started, false);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      fmt::print("{}", usage);
      return 0;
    }
    try {
      sm::parse_url(arg);  // refuse bad input before anything starts
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "service_monitor: {}\n{}", e.what(), usage);
      return 2;
    }
    if (std::find(urls.begin(), urls.end(), arg) != urls.end()) {
      fmt::print(stderr, "service_monitor: {} is given twice\n{}", arg, usage);
      return 2;
    }
    urls.emplace_back(arg);
  }
  otpp::runtime rt(otpp::runtime_options{.logger = log_line});
  logging_runtime = &rt;
  int status = 1;
  try {
    status = urls.empty() ? run_demo(rt) : run_urls(rt, urls);
  } catch (const std::exception& e) {
    fmt::print(stderr, "service_monitor: {}\n", e.what());
  }
  logging_runtime = nullptr;
  return status;
}
