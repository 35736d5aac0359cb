// A metrics collector: plain threads report samples with casts (fire and
// forget, as a telemetry handler would), and the server keeps a sliding
// window of the last 100 values per metric. A `stats` call summarises one
// metric: how many samples it has seen, how many it keeps, and the last,
// min, max and mean of the kept ones.
//
// It mirrors the Elixir idiom of a GenServer holding a map of bounded
// queues (`%{name => :queue}`), fed by `GenServer.cast(:metrics, {:record,
// name, value})` from many processes. Messages from one sender arrive in the
// order they were sent, so a thread that casts 250 samples and then calls
// `stats` sees all 250 counted: the call cannot overtake its own casts.
// Run it: ./metrics_collector
#include <otpp/otpp.hpp>

#include <fmt/ranges.h>

#include <algorithm>
#include <deque>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct metrics_collector : otpp::gen_server<metrics_collector> {
  static constexpr std::size_t window = 100;

  struct record {  // a cast
    std::string metric;
    double value;
  };
  struct summary {
    std::size_t count;  // samples seen since the start
    std::size_t kept;   // samples in the window (at most 100)
    double last, min, max, mean;
  };
  struct stats {
    using reply_type = std::optional<summary>;
    std::string metric;
  };
  struct metrics {
    using reply_type = std::vector<std::string>;
  };

  struct series {
    std::size_t count = 0;
    std::deque<double> values;  // the last `window` samples, oldest first
  };

  void handle_cast(record r) {
    series& s = all[r.metric];
    ++s.count;
    s.values.push_back(r.value);
    if (s.values.size() > window) s.values.pop_front();
  }

  std::optional<summary> handle_call(stats q) {
    auto it = all.find(q.metric);
    if (it == all.end()) return std::nullopt;
    const auto& v = it->second.values;
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return summary{it->second.count, v.size(), v.back(), *lo, *hi,
                   std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size())};
  }

  std::vector<std::string> handle_call(metrics) {
    std::vector<std::string> names;
    for (const auto& [name, s] : all) names.push_back(name);
    return names;
  }

  std::map<std::string, series> all;
};

void print(const std::string& metric, const std::optional<metrics_collector::summary>& s) {
  if (!s) {
    fmt::print("{:<12} (no samples)\n", metric);
    return;
  }
  fmt::print("{:<12} count={} kept={} last={} min={} max={} mean={:.2f}\n", metric, s->count, s->kept, s->last,
             s->min, s->max, s->mean);
}

int main() {
  otpp::runtime rt;
  auto collector = otpp::start<metrics_collector>(rt, otpp::name{"metrics"});

  // Each reporter thread casts its samples, then calls `stats` itself: by
  // per-sender ordering the reply already counts every sample it cast.
  struct reporter {
    std::string metric;
    int samples;
    double (*value)(int i);
    std::optional<metrics_collector::summary> seen;  // what its own call returned
  };
  std::vector<reporter> reporters{
      {"latency_ms", 250, [](int i) { return static_cast<double>(i); }, {}},             // 1..250
      {"queue_depth", 60, [](int i) { return static_cast<double>(i % 7); }, {}},         // 1,2,..6,0,1,..
      {"cpu_pct", 130, [](int i) { return static_cast<double>(100 - i % 100); }, {}}};  // 99..0,100,99..
  std::vector<std::thread> threads;
  for (auto& r : reporters)
    threads.emplace_back([&collector, &r] {
      for (int i = 1; i <= r.samples; ++i) otpp::cast(collector, metrics_collector::record{r.metric, r.value(i)});
      r.seen = otpp::call(collector, metrics_collector::stats{r.metric});
    });
  for (auto& t : threads) t.join();

  fmt::print("each reporter's own stats call, made right after its casts:\n");
  for (const auto& r : reporters)
    fmt::print("  {:<12} cast {} samples, its call saw count={}\n", r.metric, r.samples, r.seen ? r.seen->count : 0);

  fmt::print("\nmetrics: {}\n", otpp::call(collector, metrics_collector::metrics{}));
  for (const std::string metric : {"latency_ms", "queue_depth", "cpu_pct", "disk_io"})
    print(metric, otpp::call(collector, metrics_collector::stats{metric}));
}
