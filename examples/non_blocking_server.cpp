// "Don't block the mailbox": a gen_server whose `slow_square` call needs long
// CPU work keeps answering `ping` meanwhile. handle_call hands the work to a
// task process with `spawn_task`, keeps the caller's `from` and returns
// noreply; when the task ends, `handle_task_end` replies with otpp::reply(from,
// ...). In Elixir:
//
//   def handle_call({:slow_square, n}, from, state) do
//     task = Task.async(fn -> slow_square(n) end)
//     {:noreply, Map.put(state, task.ref, from)}
//   end
//   def handle_info({ref, result}, state), do: GenServer.reply(state[ref], {:ok, result}) ...
//   def handle_info({:DOWN, ref, ...}, state), do: GenServer.reply(state[ref], {:error, reason}) ...
//
// A coroutine handler is NOT the answer for CPU work: while it runs (or is
// suspended) the server takes no other message, so pings would wait for it.
// Coroutine handlers are for waiting on I/O or on other processes.
//
// So that the output does not depend on timing, each job first waits for
// main() to let it go; main() proves the pings are answered while the slow
// call is still pending, then releases the work. A job given a negative
// number throws: the task dies, handle_task_end sees its exit reason, and
// the caller gets an error reply (the runtime logs the task's crash report
// on stderr). Run it: ./non_blocking_server
#include <otpp/otpp.hpp>

#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;
namespace asio = boost::asio;

struct squarer : otpp::gen_server<squarer> {
  // {ok, Value} or {error, Reason}.
  struct result {
    std::optional<int> ok;
    std::string error;
  };
  struct slow_square {
    using reply_type = result;
    int n;
  };
  struct ping {
    using reply_type = std::string;
  };

  explicit squarer(std::shared_future<void> release) : go(std::move(release)) {}

  otpp::call_result<result> handle_call(slow_square m, otpp::from<result> caller) {
    otpp::pid task = spawn_task([n = m.n, go = go] {
      go.wait();                         // (only for the demo: main says when)
      std::this_thread::sleep_for(300ms);  // the long work: it ties up a task, not this server
      if (n < 0) throw std::domain_error(fmt::format("cannot square {} today", n));
      return n * n;
    });
    pending.emplace(task, caller);
    return otpp::noreply();  // answered in handle_task_end
  }

  std::string handle_call(ping) { return "pong"; }

  void handle_task_end(const otpp::pid& task, const otpp::exit_reason& status, std::optional<int> value) {
    auto it = pending.find(task);
    if (it == pending.end()) return;
    if (status.is_normal()) otpp::reply(it->second, result{*value, {}});
    else otpp::reply(it->second, result{std::nullopt, fmt::format("{}", status)});
    pending.erase(it);
  }

  std::shared_future<void> go;
  std::map<otpp::pid, otpp::from<result>> pending;  // task -> its caller
};

void print_result(int n, const squarer::result& r) {
  if (r.ok) fmt::print("main: slow_square({}) -> ok {}\n", n, *r.ok);
  else fmt::print("main: slow_square({}) -> error {}\n", n, r.error);
}

int main() {
  // A task still runs on a worker thread, and nothing pre-empts it: keep
  // at least one worker free for the server (here: two workers, one job at a time).
  otpp::runtime rt(otpp::runtime_options{.workers = 2});
  std::promise<void> go;
  auto server = otpp::start<squarer>(rt, otpp::name{"squarer"}, go.get_future().share());

  // Start the slow call without waiting for it (gen_server:send_request).
  auto slow = otpp::async_call(server, squarer::slow_square{7}, otpp::infinity, asio::use_future);

  for (int i = 1; i <= 3; ++i) {
    std::string answer = otpp::call(server, squarer::ping{}, 1s);
    bool pending = slow.wait_for(0s) == std::future_status::timeout;
    fmt::print("main: ping {} -> {} (slow_square still pending: {})\n", i, answer, pending);
  }

  fmt::print("main: letting the work go\n");
  go.set_value();
  print_result(7, slow.get());

  // A job that throws: the task exits abnormally, the caller gets an error.
  print_result(-1, otpp::call(server, squarer::slow_square{-1}));
  fmt::print("main: the server is still fine: ping -> {}\n", otpp::call(server, squarer::ping{}));
}
