// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_RUNTIME_HPP
#define OTPP_RUNTIME_HPP

#include <otpp/config.hpp>
#include <otpp/detail/call_state.hpp>
#include <otpp/detail/executor.hpp>
#include <otpp/detail/process_base.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string_view>

OTPP_BEGIN_NAMESPACE

/// The logger a runtime uses unless told otherwise: one line per event on
/// stderr, formatted as `[otpp error] ...`.
inline void default_logger(log_level level, std::string_view text) {
  const char* tag = level == log_level::error ? "error" : level == log_level::warning ? "warning" : "info";
  fmt::print(stderr, "[otpp {}] {}\n", tag, text);
}

/// How a runtime runs.
struct runtime_options {
  /// Worker threads; 0 means `std::thread::hardware_concurrency()`.
  unsigned workers = 0;
  /// Where crash reports and unhandled-message warnings go (OTP's logger).
  logger_function logger = default_logger;
  /// On destruction, how long root processes get to stop after `shutdown`
  /// before they are sent `kill`.
  std::chrono::milliseconds shutdown_timeout{5000};
};

/// An otpp node: the threads that run processes, the process table, and the
/// registry of local names.
///
/// By default it owns `workers` threads, each with its own `asio::io_context`
/// for the timers and I/O of the processes it hosts and its own run queue.
/// A process woken by a message is run on the thread that sent the message
/// (so a call round trip stays on one thread). Processes a worker woke or
/// spawned itself run newest first, so a tree of tasks is walked depth
/// first; every 256th turn goes to the longest waiting, and every 4096 turns
/// the newest-first ones move behind those, so that nothing queued starves.
/// Idle workers steal the older half of a busy one's queue. A worker that runs out of work spins
/// for up to 20 µs before it sleeps, so that work sent to it soon after
/// needs no wake-up system call.
///
/// It can instead run on an executor the caller supplies; every process
/// then runs on that executor, one handler at a time per process. That
/// executor must keep running until the runtime is destroyed.
///
/// Destroying the runtime stops every process: root processes (those not
/// started with `start_link`) receive exit signal `shutdown` from the
/// runtime, newest first, so that trapping gen_servers run `terminate`;
/// what is still alive after `shutdown_timeout` is killed. It must not be
/// destroyed from one of its own processes.
class runtime {
 public:
  /// The executor of the runtime's worker pool (for coroutines that are not processes).
  using executor_type = detail::basic_executor;

  /// Starts a runtime with default options.
  runtime() : runtime(runtime_options{}) {}

  /// Starts a runtime with `options.workers` worker threads.
  explicit runtime(runtime_options options)
      : shutdown_timeout_(options.shutdown_timeout),
        core_(std::make_unique<detail::runtime_core>(options.workers, std::move(options.logger))) {}

  /// Runs every process on `ex` instead of on threads of its own.
  explicit runtime(asio::any_io_executor ex, runtime_options options = {})
      : shutdown_timeout_(options.shutdown_timeout),
        core_(std::make_unique<detail::runtime_core>(std::move(ex), std::move(options.logger))) {}

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Stops every process (see the class description) and joins the workers.
  ~runtime() { core_->shutdown(shutdown_timeout_); }

  /// An executor that runs functions on the runtime's workers, outside any
  /// process, concurrently and in no particular order. Use it to `co_spawn`
  /// a client coroutine.
  executor_type get_executor() noexcept { return executor_type(core_.get(), nullptr); }

  /// The number of live processes.
  std::size_t process_count() const noexcept { return core_->live_count(); }

  /// The number of worker threads (0 when running on a supplied executor).
  std::size_t worker_count() const noexcept { return core_->sched.worker_count(); }

  /// Internal: the shared state processes refer to.
  detail::runtime_core& core() noexcept { return *core_; }

 private:
  std::chrono::milliseconds shutdown_timeout_;
  std::unique_ptr<detail::runtime_core> core_;
};

OTPP_END_NAMESPACE

#endif  // OTPP_RUNTIME_HPP
