// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// How a blocking caller waits: included by otpp/detail/call_state.hpp unless
// OTPP_SEPARATE_COMPILATION is defined, and then compiled once, by
// <otpp/src.hpp>.
#ifndef OTPP_DETAIL_IMPL_CALL_STATE_IPP
#define OTPP_DETAIL_IMPL_CALL_STATE_IPP

#include <otpp/detail/call_state.hpp>

OTPP_BEGIN_NAMESPACE
namespace detail {

OTPP_DECL void blocking_wait::notify() {
  // The waiter may free this object as soon as it sees `ready`: read what
  // the wake-up needs first.
  if (worker* const waiter = w_) {
    ready_.store(1, std::memory_order_seq_cst);
    waiter->owner->wake(*waiter);
    return;
  }
  if (asio::io_context* const context = ioc_) {
    ready_.store(1, std::memory_order_seq_cst);
    asio::post(*context, [] {});  // ends the waiter's run_one
    return;
  }
#if defined(__linux__)
  ready_.store(1, std::memory_order_seq_cst);
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&ready_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#else
  {
    std::lock_guard lock(mutex_);
    ready_.store(1, std::memory_order_seq_cst);
  }
  cv_.notify_one();
#endif
}

OTPP_DECL bool blocking_wait::wait_until(std::chrono::steady_clock::time_point deadline) {
  if (w_) {
    w_->owner->run_until(*w_, [this] { return is_ready(); }, deadline);
    return is_ready();
  }
  if (ioc_) {
    while (!is_ready() && std::chrono::steady_clock::now() < deadline) {
      if (ioc_->stopped()) std::this_thread::yield();  // nothing runs it now
      else if (deadline == std::chrono::steady_clock::time_point::max()) ioc_->run_one();
      else ioc_->run_one_until(deadline);
    }
    return is_ready();
  }
#if defined(__linux__)
  // One system call on each side, where a condition variable and its mutex take up to three.
  while (!is_ready()) {
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&ready_), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
      continue;
    }
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(left);
    timespec rel{static_cast<time_t>(s.count()),
                 static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(left - s).count())};
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&ready_), FUTEX_WAIT_PRIVATE, 0, &rel, nullptr, 0);
  }
  return true;
#else
  std::unique_lock lock(mutex_);
  return cv_.wait_until(lock, deadline, [this] { return is_ready(); });
#endif
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_IMPL_CALL_STATE_IPP
