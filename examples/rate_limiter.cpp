// A rate limiter: one token bucket per client key. `allow{key}` takes a
// token and answers true, or answers false when the bucket is empty. A
// periodic timer refills every bucket: `send_after` in `init`, re-armed in
// `handle_info` each time it fires, the usual way to tick in a GenServer:
//
//   def init(_), do: (Process.send_after(self(), :refill, @period); {:ok, %{}})
//   def handle_info(:refill, s), do: (Process.send_after(self(), :refill, @period); ...)
//
// A caller can wait for the next refill with `next_refill{}`: the server
// keeps its `from` and answers when the tick comes (gen_server:reply/2), so
// the demo waits for the refill itself rather than sleeping for it.
// Run it: ./rate_limiter
#include <otpp/otpp.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace std::chrono_literals;

struct rate_limiter : otpp::gen_server<rate_limiter> {
  struct allow {
    using reply_type = bool;
    std::string key;
  };
  // Answered right after the next refill, with the number of refills so far.
  struct next_refill {
    using reply_type = int;
  };
  struct refill_tick {};  // the timer's info message

  rate_limiter(int capacity, int per_refill, otpp::timeout_type period)
      : capacity(capacity), per_refill(per_refill), period(period) {}

  otpp::init_result init() {
    send_after(period, refill_tick{});
    return otpp::ok();
  }

  bool handle_call(allow a) {
    // A new client starts with a full bucket.
    int& tokens = buckets.try_emplace(a.key, capacity).first->second;
    if (tokens == 0) return false;
    --tokens;
    return true;
  }

  otpp::call_result<int> handle_call(next_refill, otpp::from<int> caller) {
    waiting.push_back(caller);
    return otpp::noreply();  // answered by handle_info(refill_tick)
  }

  void handle_info(refill_tick) {
    for (auto& [key, tokens] : buckets) tokens = std::min(capacity, tokens + per_refill);
    ++refills;
    for (const auto& caller : waiting) otpp::reply(caller, refills);
    waiting.clear();
    send_after(period, refill_tick{});  // re-arm: one tick per period
  }

  int capacity;
  int per_refill;
  otpp::timeout_type period;
  int refills = 0;
  std::map<std::string, int> buckets;  // key -> tokens left
  std::vector<otpp::from<int>> waiting;
};

void try_request(const otpp::server_ref<rate_limiter>& limiter, const std::string& key) {
  bool ok = otpp::call(limiter, rate_limiter::allow{key});
  fmt::print("  {:<5} -> {}\n", key, ok ? "allowed" : "refused (rate limited)");
}

int main() {
  otpp::runtime rt;
  // Bursts of up to 5 requests; every 500 ms each bucket gains 2 tokens.
  // The burst below takes a few milliseconds, far less than one period,
  // so no refill falls inside it.
  auto limiter = otpp::start<rate_limiter>(rt, otpp::name{"rate_limiter"}, 5, 2, 500ms);

  fmt::print("alice bursts 6 requests, bob sends 1:\n");
  for (int i = 0; i < 6; ++i) try_request(limiter, "alice");
  try_request(limiter, "bob");
  try_request(limiter, "alice");

  int n = otpp::call(limiter, rate_limiter::next_refill{});
  fmt::print("refill #{}: every bucket gained 2 tokens, up to the capacity of 5\n", n);
  fmt::print("alice had 0, now 2:\n");
  for (int i = 0; i < 3; ++i) try_request(limiter, "alice");
  fmt::print("bob had 4, now 5 (not 6):\n");
  for (int i = 0; i < 6; ++i) try_request(limiter, "bob");
}
