// A two-level supervision tree, as an OTP application builds one:
//
//   app (supervisor, one_for_one)
//   ├── cache    (agent, name "cache")
//   ├── workers  (supervisor, rest_for_one)
//   │   ├── counter  (gen_server, name "counter")
//   │   └── printer  (gen_server, name "printer")
//   └── jobs     (task_supervisor)
//
// A crashed worker comes back with fresh state while its siblings outside
// its subtree keep theirs; a burst of crashes past the restart intensity
// takes the `workers` supervisor down, and `app` restarts it. The crash
// reports on stderr are the runtime's logger. Run it: ./supervision_tree
#include <otpp/otpp.hpp>

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;

struct counter : otpp::gen_server<counter> {
  struct bump {
    using reply_type = int;
  };
  struct crash {};

  int handle_call(bump) { return ++count; }
  void handle_cast(crash) { throw std::runtime_error("counter crashed on purpose"); }

  int count = 0;
};

struct printer : otpp::gen_server<printer> {
  struct print {
    using reply_type = void;
    std::string line;
  };
  void handle_call(print p) { fmt::print("  printer: {}\n", p.line); }
};

// The `workers` supervisor as a callback module, like an Erlang module with
// -behaviour(supervisor): rest_for_one, so a crashed counter also restarts
// the printer started after it.
struct workers_sup : otpp::supervisor<workers_sup> {
  otpp::supervisor_spec init() {
    auto count = otpp::child_spec_for<counter>(otpp::name{"counter"});
    count.id = "counter";
    auto print = otpp::child_spec_for<printer>(otpp::name{"printer"});
    print.id = "printer";
    return {{.strategy = otpp::rest_for_one, .max_restarts = 3, .max_seconds = 5s}, {count, print}};
  }
};

// Waits (a bounded time) until `name` is held by a process other than `old`.
otpp::pid wait_for_new(otpp::runtime& rt, const char* name, const otpp::pid& old) {
  for (int i = 0; i < 5000; ++i) {
    otpp::pid now = otpp::whereis(rt, name);
    if (now && now != old) return now;
    std::this_thread::sleep_for(1ms);
  }
  throw std::runtime_error(fmt::format("{} did not come back", name));
}

void show_tree(const otpp::supervisor_ref& app) {
  for (const auto& child : otpp::which_children(app)) {
    fmt::print("  {:<8} {}\n", child.id, child.child);
    if (child.id == "workers")
      for (const auto& w : otpp::which_children(otpp::supervisor_ref(child.child)))
        fmt::print("    {:<8} {}\n", w.id, w.child);
  }
}

int main() {
  otpp::runtime rt;
  auto workers = otpp::child_spec_for<workers_sup>();
  workers.id = "workers";
  auto app = otpp::start_supervisor(
      rt, {{.strategy = otpp::one_for_one},
           {otpp::agent_child_spec("cache", [] { return std::string("warm"); }, otpp::name{"cache"}),
            workers,
            otpp::dynamic_supervisor_child_spec("jobs", {}, otpp::name{"jobs"})}});
  fmt::print("started the tree (children newest first):\n");
  show_tree(app);

  otpp::server_ref<counter> count(rt, otpp::name{"counter"});
  otpp::call(count, counter::bump{});
  otpp::call(count, counter::bump{});
  fmt::print("\ncounter at {} counts {}\n", count.pid(), otpp::call(count, counter::bump{}));

  // One crash: `workers` restarts the counter (and, rest_for_one, the printer).
  otpp::pid old = count.pid();
  otpp::cast(count, counter::crash{});
  otpp::pid fresh = wait_for_new(rt, "counter", old);
  fmt::print("\ncounter crashed: {} is alive? {}; {} took its name and counts {}\n", old, otpp::is_alive(old),
             fresh, otpp::call(count, counter::bump{}));
  otpp::agent<std::string> cache(rt, otpp::name{"cache"});
  fmt::print("the cache, outside that subtree, kept its state: {}\n",
             cache.get([](const std::string& s) { return s; }));

  // Past the intensity (3 restarts in 5 s, counting the one above),
  // `workers` gives up and exits with `shutdown`; `app` restarts it.
  auto child_of_app = [&](const std::string& id) {
    for (const auto& c : otpp::which_children(app))
      if (c.id == id) return c.child;
    return otpp::pid();
  };
  const otpp::pid workers_before = child_of_app("workers");
  int crashes = 0;
  for (;;) {
    old = count.pid();
    otpp::cast(count, counter::crash{});
    ++crashes;
    wait_for_new(rt, "counter", old);
    // `app` answers only after it has handled the exit of `workers`, if any.
    if (child_of_app("workers") != workers_before) break;
  }
  fmt::print("\n{} more crashes: the workers supervisor gave up; app restarted it: {} -> {}\n", crashes,
             workers_before, child_of_app("workers"));
  show_tree(app);

  // A task under the `jobs` task supervisor.
  auto job = otpp::async_nolink(otpp::task_supervisor_ref(rt, otpp::name{"jobs"}), [] { return 6 * 7; });
  fmt::print("\na job under jobs answered {}\n", otpp::await(job));

  otpp::call(otpp::server_ref<printer>(rt, otpp::name{"printer"}), printer::print{"goodbye"});
  otpp::stop(app);  // stops the tree in reverse start order
  fmt::print("stopped the tree; {} processes left\n", rt.process_count());
}
