// A health checker: the "periodic work" GenServer pattern. `init` schedules
// the first `check` with send_after, and each `check` pings every worker by
// its registered name, notes what changed, and schedules the next one:
//
//   def init(names), do: (Process.send_after(self(), :check, 50); {:ok, ...})
//   def handle_info(:check, state), do: (...; Process.send_after(self(), :check, 50); {:noreply, state})
//
// Each ping is a call with a short timeout, made from a coroutine handle_info
// with co_await async_call, so the checker never blocks a thread: a reply
// means "up", a timeout "unresponsive", no process by that name "down". The
// checker prints a line only when a worker's status changes. main() drives
// the workers through those states and waits for the checker to see each one
// (a deferred-reply call, as GenServer.reply/2), so the output is in order.
// Run it: ./periodic_health_checker
#include <otpp/otpp.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;

// A worker that answers pings, unless it is told to hang: then it holds on
// to each ping (a deferred reply it never sends in time), like a process
// stuck waiting on something else.
struct worker : otpp::gen_server<worker> {
  struct ping {
    using reply_type = void;
  };
  struct hang {};
  struct recover {};

  otpp::call_result<void> handle_call(ping, otpp::from<void> caller) {
    if (hung) held.push_back(caller);
    else caller.reply();
    return otpp::noreply();
  }
  void handle_cast(hang) { hung = true; }
  void handle_cast(recover) {
    hung = false;
    for (auto& caller : held) caller.reply();  // too late: the checker gave up, so these are dropped
    held.clear();
  }

  bool hung = false;
  std::vector<otpp::from<void>> held;
};

enum class health { unknown, up, unresponsive, down };

const char* to_string(health h) {
  switch (h) {
    case health::up: return "up";
    case health::unresponsive: return "unresponsive";
    case health::down: return "down";
    default: return "unknown";
  }
}

struct health_checker : otpp::gen_server<health_checker> {
  struct check {};
  // Replies once the checker has seen worker `name` in state `state`.
  struct wait_for {
    using reply_type = void;
    std::string name;
    health state;
  };

  struct watched {
    std::string name;
    otpp::server_ref<worker> ref;  // by name: reaches whichever process holds it now
    health state = health::unknown;
  };
  struct waiter {
    std::string name;
    health state;
    otpp::from<void> caller;
  };

  health_checker(otpp::runtime& rt, const std::vector<std::string>& names) {
    for (const auto& n : names) workers.push_back({n, otpp::server_ref<worker>(rt, otpp::name{n})});
  }

  otpp::init_result init() {
    send_after(interval, check{});
    return otpp::ok();
  }

  otpp::awaitable<void> handle_info(check) {
    for (auto& w : workers) {
      health now = health::up;
      try {
        co_await otpp::async_call(w.ref, worker::ping{}, 100ms, asio::use_awaitable);
      } catch (const otpp::call_error& e) {
        now = e.code() == otpp::errc::timeout ? health::unresponsive : health::down;  // noproc or exited
      }
      if (now != w.state) {
        fmt::print("checker: {} is {} (was {})\n", w.name, to_string(now), to_string(w.state));
        w.state = now;
        answer_waiters(w);
      }
    }
    send_after(interval, check{});  // the next round, as Process.send_after(self(), :check, 50)
  }

  otpp::call_result<void> handle_call(wait_for m, otpp::from<void> caller) {
    for (auto& w : workers)
      if (w.name == m.name && w.state == m.state) {
        caller.reply();
        return otpp::noreply();
      }
    waiters.push_back({std::move(m.name), m.state, caller});
    return otpp::noreply();
  }

  void answer_waiters(const watched& w) {
    std::erase_if(waiters, [&](const waiter& x) {
      if (x.name != w.name || x.state != w.state) return false;
      x.caller.reply();
      return true;
    });
  }

  static constexpr otpp::timeout_type interval = 50ms;
  std::vector<watched> workers;
  std::vector<waiter> waiters;
};

int main() {
  otpp::runtime rt;
  auto db = otpp::start<worker>(rt, otpp::name{"db"});
  auto cache = otpp::start<worker>(rt, otpp::name{"cache"});
  auto queue = otpp::start<worker>(rt, otpp::name{"queue"});
  auto checker = otpp::start<health_checker>(rt, otpp::name{"checker"}, rt,
                                             std::vector<std::string>{"db", "cache", "queue"});

  auto wait_until = [&](const char* name, health state) {
    otpp::call(checker, health_checker::wait_for{name, state});
  };
  for (const char* name : {"db", "cache", "queue"}) wait_until(name, health::up);
  fmt::print("main: all workers up\n");

  fmt::print("main: cache hangs\n");
  otpp::cast(cache, worker::hang{});
  wait_until("cache", health::unresponsive);

  fmt::print("main: cache recovers\n");
  otpp::cast(cache, worker::recover{});
  wait_until("cache", health::up);

  fmt::print("main: stopping queue\n");
  otpp::stop(queue);
  wait_until("queue", health::down);

  fmt::print("main: starting queue again\n");
  queue = otpp::start<worker>(rt, otpp::name{"queue"});
  wait_until("queue", health::up);

  fmt::print("main: done\n");
  // Leaving main destroys the runtime, which stops the checker and the workers.
}
