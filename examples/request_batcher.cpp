// A request batcher: `add{item}` casts are collected and handed to a sink
// process in batches, flushed when a batch has 4 items or 200 ms after its
// first item, whichever comes first, and once more in `terminate` so that
// nothing is lost when the batcher stops.
//
// The Erlang/Elixir idiom: the first item of a batch arms a timer with
// `Process.send_after(self(), {:flush, ref}, 200)`; a flush by size cancels
// it with `Process.cancel_timer/1`. A timer can fire just before it is
// cancelled, its message already in the mailbox, so the message carries the
// batch's number and a stale one is ignored. The batcher traps exits, so
// `terminate` also runs when the runtime shuts down; here `otpp::stop` runs it.
// Run it: ./request_batcher
#include <otpp/otpp.hpp>

#include <fmt/ranges.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

// Receives batches and prints them. `await_items{n}` answers once n items
// have arrived in all, so main can wait for a flush instead of sleeping.
struct sink : otpp::gen_server<sink> {
  struct batch {  // a cast
    std::vector<std::string> items;
    std::string why;
  };
  struct await_items {
    using reply_type = int;  // the batches received so far
    std::size_t n;
  };

  void handle_cast(batch b) {
    ++batches;
    items += b.items.size();
    fmt::print("  sink: batch {} ({}): {}\n", batches, b.why, b.items);
    std::erase_if(waiting, [&](const auto& w) {  // answer those waiting for this many
      if (w.first > items) return false;
      otpp::reply(w.second, batches);
      return true;
    });
  }

  otpp::call_result<int> handle_call(await_items a, otpp::from<int> caller) {
    if (items >= a.n) return otpp::reply(batches);
    waiting.emplace_back(a.n, caller);
    return otpp::noreply();
  }

  int batches = 0;
  std::size_t items = 0;
  std::vector<std::pair<std::size_t, otpp::from<int>>> waiting;
};

struct request_batcher : otpp::gen_server<request_batcher> {
  struct add {  // a cast
    std::string item;
  };
  struct flush_timeout {  // the timer's info message
    int batch;
  };

  request_batcher(otpp::server_ref<sink> to, std::size_t max_items, otpp::timeout_type max_wait)
      : to(std::move(to)), max_items(max_items), max_wait(max_wait) {}

  otpp::init_result init() {
    trap_exit();  // so that terminate (and its flush) also runs on a runtime shutdown
    return otpp::ok();
  }

  void handle_cast(add a) {
    if (pending.empty()) timer = send_after(max_wait, flush_timeout{batch_no});
    pending.push_back(std::move(a.item));
    if (pending.size() == max_items) flush("size");
  }

  void handle_info(flush_timeout t) {
    if (t.batch == batch_no) flush("time");  // else that batch was flushed by size already
  }

  void terminate(const otpp::exit_reason& reason) {
    fmt::print("  batcher: terminate ({}), {} pending; size flushes cancelled {} timers\n", reason, pending.size(),
               cancelled);
    if (!pending.empty()) flush(fmt::format("terminate, {}", reason));
  }

  void flush(std::string why) {
    if (otpp::cancel_timer(timer)) ++cancelled;  // false if it has fired already
    otpp::cast(to, sink::batch{std::exchange(pending, {}), std::move(why)});
    ++batch_no;
  }

  otpp::server_ref<sink> to;
  std::size_t max_items;
  otpp::timeout_type max_wait;
  std::vector<std::string> pending;
  int batch_no = 0;  // the number of the batch being collected
  otpp::timer_ref timer;
  int cancelled = 0;
};

int main() {
  otpp::runtime rt;
  auto out = otpp::start<sink>(rt);
  auto batcher = otpp::start<request_batcher>(rt, out, std::size_t{4}, 200ms);
  auto add = [&](int i) { otpp::cast(batcher, request_batcher::add{fmt::format("req{}", i)}); };

  fmt::print("9 requests at once: two full batches go by size, the 9th waits\n");
  for (int i = 1; i <= 9; ++i) add(i);
  otpp::call(out, sink::await_items{8});
  fmt::print("main: 8 items flushed\n");

  const auto t0 = std::chrono::steady_clock::now();
  otpp::call(out, sink::await_items{9});
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  fmt::print("main: the 9th was flushed by its 200 ms timer (main waited {} ms more)\n", waited.count());

  fmt::print("2 more requests, then stop: terminate flushes them\n");
  add(10);
  add(11);
  otpp::stop(batcher);
  int batches = otpp::call(out, sink::await_items{11});
  fmt::print("main: all 11 requests delivered in {} batches\n", batches);
}
