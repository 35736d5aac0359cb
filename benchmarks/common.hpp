// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// What the benchmarks share: timing, medians, RSS, and the raw-Asio floor
// (one io_context run by N threads, an asio::strand per server).

#ifndef OTPP_BENCHMARKS_COMMON_HPP
#define OTPP_BENCHMARKS_COMMON_HPP

#include <otpp/runtime.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <fmt/format.h>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <string_view>
#include <thread>
#include <vector>

namespace bench {

namespace asio = boost::asio;

inline void check(bool ok, std::string_view what) {
  if (!ok) {
    fmt::print(stderr, "benchmark check failed: {}\n", what);
    std::abort();
  }
}

using bench_clock = std::chrono::steady_clock;

inline double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

// Resident set size of this process, in bytes.
inline std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t total_pages = 0, resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// RSS just before a memory measurement: memory freed by earlier cells is
// handed back to the kernel, so that new servers cannot hide in it.
inline std::size_t baseline_rss() {
  malloc_trim(0);
  return rss_bytes();
}

inline double median_of(int repetitions, const std::function<double()>& run) {
  std::vector<double> results;
  for (int i = 0; i < repetitions; ++i) results.push_back(run());
  std::sort(results.begin(), results.end());
  return results[results.size() / 2];
}

inline otpp::runtime_options with_workers(unsigned threads) {
  otpp::runtime_options options;
  options.workers = threads;
  return options;
}

// ---- the floor: raw Boost.Asio -------------------------------------------------

using strand_type = asio::strand<asio::io_context::executor_type>;

// One io_context run by `threads` threads until destroyed. The concurrency
// hint is the thread count, so that one thread gets Asio's single-thread path.
class floor_pool {
 public:
  explicit floor_pool(unsigned threads)
      : ioc_(static_cast<int>(threads)), guard_(asio::make_work_guard(ioc_)) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  floor_pool(const floor_pool&) = delete;
  floor_pool& operator=(const floor_pool&) = delete;
  ~floor_pool() {
    guard_.reset();
    for (auto& t : threads_) t.join();
  }
  asio::io_context& context() { return ioc_; }

 private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

// A server: its strand and the state only that strand touches.
struct floor_server {
  explicit floor_server(asio::io_context& ioc) : strand(asio::make_strand(ioc)) {}
  strand_type strand;
  std::int64_t state = 0;
};

// The floor's call: the request runs on the server's strand, the reply is
// posted back to the caller's executor (what otpp's async_call does).
template <class Token>
auto floor_async_inc(floor_server& s, int value, Token&& token) {
  return asio::async_initiate<Token, void(int)>(
      [&s](auto handler, int v) {
        asio::post(s.strand, [&s, v, h = std::move(handler)]() mutable {
          ++s.state;
          const int reply = v + 1;
          auto ex = asio::get_associated_executor(h);
          asio::post(ex, [h = std::move(h), reply]() mutable { std::move(h)(reply); });
        });
      },
      token, value);
}

// The floor's blocking call from a plain thread: post, wait on a future.
template <class F>
auto floor_blocking_call(floor_server& s, F f) {
  std::promise<decltype(f())> reply;
  auto ready = reply.get_future();
  asio::post(s.strand, [&] { reply.set_value(f()); });
  return ready.get();
}

}  // namespace bench

#endif  // OTPP_BENCHMARKS_COMMON_HPP
