// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_EXECUTOR_HPP
#define OTPP_DETAIL_EXECUTOR_HPP

#include <otpp/config.hpp>
#include <otpp/detail/process_base.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>

#include <memory>
#include <type_traits>
#include <utility>

OTPP_BEGIN_NAMESPACE
namespace detail {

// A function run by a worker outside any process.
template <class F>
struct function_task final : runnable {
  F f;
  explicit function_task(F&& fn) : f(std::move(fn)) {}
  void run() override {
    F local(std::move(f));
    delete this;
    // Not inside any process, even when run by a worker that is waiting
    // inside one (a blocking call).
    process_base* const previous = std::exchange(current_process, nullptr);
    local();
    current_process = previous;
  }
  void discard() noexcept override { delete this; }
};

// The executor of a process (`p` set) or of the runtime's workers (`p` null).
// For a process it is a strand in Asio's sense: functions run one at a time
// in the process's context, in order, interleaved with its messages; a
// `dispatch` from inside the process runs at once.
class basic_executor {
 public:
  basic_executor(runtime_core* rt, process_base* p, bool never_block = false) noexcept
      : rt_(rt), p_(p), never_(never_block) {
    if (p_) retain(p_);
  }
  basic_executor(const basic_executor& o) noexcept : basic_executor(o.rt_, o.p_, o.never_) {}
  basic_executor(basic_executor&& o) noexcept
      : rt_(o.rt_), p_(std::exchange(o.p_, nullptr)), never_(o.never_) {}
  basic_executor& operator=(basic_executor o) noexcept {
    std::swap(rt_, o.rt_);
    std::swap(p_, o.p_);
    std::swap(never_, o.never_);
    return *this;
  }
  ~basic_executor() {
    if (p_) release(p_);
  }

  // The io_context that serves timers and sockets bound to this executor.
  asio::execution_context& query(asio::execution::context_t) const noexcept {
    return asio::query(rt_->sched.io_executor(p_ ? p_->io_home : 0), asio::execution::context);
  }
  asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
    return never_ ? asio::execution::blocking_t(asio::execution::blocking.never)
                  : asio::execution::blocking_t(asio::execution::blocking.possibly);
  }
  static constexpr asio::execution::relationship_t query(asio::execution::relationship_t) noexcept {
    return asio::execution::relationship.fork;
  }
  static constexpr asio::execution::outstanding_work_t query(
      asio::execution::outstanding_work_t) noexcept {
    return asio::execution::outstanding_work.untracked;
  }
  static constexpr asio::execution::mapping_t query(asio::execution::mapping_t) noexcept {
    return asio::execution::mapping.thread;
  }
  std::allocator<void> query(asio::execution::allocator_t<void>) const noexcept { return {}; }

  basic_executor require(asio::execution::blocking_t::never_t) const noexcept {
    return basic_executor(rt_, p_, true);
  }
  basic_executor require(asio::execution::blocking_t::possibly_t) const noexcept {
    return basic_executor(rt_, p_, false);
  }
  basic_executor require(asio::execution::relationship_t::fork_t) const noexcept { return *this; }
  basic_executor require(asio::execution::relationship_t::continuation_t) const noexcept {
    return *this;
  }
  basic_executor require(asio::execution::outstanding_work_t::tracked_t) const noexcept {
    return *this;
  }
  basic_executor require(asio::execution::outstanding_work_t::untracked_t) const noexcept {
    return *this;
  }
  template <class A>
  basic_executor require(asio::execution::allocator_t<A>) const noexcept {
    return *this;
  }

  // True inside this process's handlers (or, for the runtime executor, on one
  // of its workers).
  bool running_in_this_thread() const noexcept {
    if (p_) return current_process == p_;
    return rt_->sched.owns_this_thread();
  }

  template <class F>
  void execute(F&& f) const {
    using fn = std::decay_t<F>;
    if (p_) {
      if (!never_ && current_process == p_) {
        fn local(std::forward<F>(f));
        local();
        return;
      }
      // A process that has finished drops the function, as a destroyed
      // strand would: nothing in a dead process runs.
      p_->post(new work_node<fn>(fn(std::forward<F>(f))));
      return;
    }
    rt_->sched.schedule(new function_task<fn>(fn(std::forward<F>(f))));
  }

  friend bool operator==(const basic_executor& a, const basic_executor& b) noexcept {
    return a.rt_ == b.rt_ && a.p_ == b.p_ && a.never_ == b.never_;
  }
  friend bool operator!=(const basic_executor& a, const basic_executor& b) noexcept {
    return !(a == b);
  }

  process_base* process() const noexcept { return p_; }
  runtime_core* core() const noexcept { return rt_; }

 private:
  runtime_core* rt_;
  process_base* p_;
  bool never_;
};

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_EXECUTOR_HPP
