// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_CALL_STATE_HPP
#define OTPP_DETAIL_CALL_STATE_HPP

#include <otpp/config.hpp>
#include <otpp/detail/executor.hpp>
#include <otpp/detail/process_base.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_executor.hpp>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

OTPP_BEGIN_NAMESPACE
namespace detail {

// The reply a call of `R` carries; `void` replies carry nothing.
struct no_value {};
template <class R>
using reply_storage = std::conditional_t<std::is_void_v<R>, no_value, R>;

// The completion signature of a call that replies `R`.
template <class R>
struct call_signature {
  using type = void(std::exception_ptr, R);
};
template <>
struct call_signature<void> {
  using type = void(std::exception_ptr);
};

inline std::exception_ptr make_call_error(error_code code, const exit_reason& reason) {
  return std::make_exception_ptr(call_error(code, reason));
}

// The reply of a wait for a process's exit (see exit_watch.hpp): the exit
// reason, delivered when the process exits rather than as an error.
struct exit_report {
  exit_reason reason;
};

// Completes `handler` with `noproc` on its associated executor (by default
// the system executor), for an operation that has no process to ask.
template <class R, class Handler>
void post_noproc(Handler handler) {
  auto ex = asio::get_associated_executor(handler, asio::system_executor());
  asio::post(ex, [h = std::move(handler)]() mutable {
    auto e = make_call_error(make_error_code(errc::noproc), {});
    if constexpr (std::is_void_v<R>) std::move(h)(e);
    else std::move(h)(e, R{});
  });
}

// A pending call's result: the first of reply / error wins.
template <class R>
struct call_state : reply_slot {
  std::optional<reply_storage<R>> value;
  std::exception_ptr error;

  // Completes with the reply; false if the call already completed (a late reply).
  bool try_reply(reply_storage<R> v) {
    if (!try_claim()) return false;
    value.emplace(std::move(v));
    on_complete();
    return true;
  }
  void fail(error_code code, const exit_reason& reason) override {
    if (!try_claim()) return;
    error = make_call_error(code, reason);
    on_complete();
  }
  // Completes with an error already made; false if already completed.
  bool try_fail(std::exception_ptr e) {
    if (!try_claim()) return false;
    error = std::move(e);
    on_complete();
    return true;
  }
  void owner_exited(const exit_reason& reason) override {
    if constexpr (std::is_same_v<R, exit_report>) try_reply(exit_report{reason});
    else fail(make_error_code(errc::exited), reason);
  }
  // Called once, by whoever completed the call, after the result is stored.
  virtual void on_complete() = 0;
};

// How a blocking caller waits for its reply. A plain thread sleeps until
// `ready` is set (on a futex on Linux, a condition variable elsewhere); a
// worker thread keeps running other processes until it is; a thread inside
// a user-supplied io_context keeps running that io_context. Not a template,
// so that calls of every reply type share one copy of the waiting code.
class blocking_wait {
 public:
  // Chooses how to wait, from the calling thread.
  explicit blocking_wait(scheduler& s) {
    if (s.owns_this_thread()) w_ = this_worker;
    else ioc_ = s.user_io_context_here();
  }

  // True if the waiter is a plain thread: `notify` then still uses this
  // object after the waiter may have seen `ready`, so the caller must keep
  // it alive across the call.
  bool plain_thread() const noexcept { return !w_ && !ioc_; }

  // Sets `ready` and wakes the waiter.
  void notify();

  // Waits until `ready` or `deadline`; true if ready.
  bool wait_until(std::chrono::steady_clock::time_point deadline);

 private:
  bool is_ready() const noexcept { return ready_.load(std::memory_order_seq_cst) != 0; }

  std::atomic<std::uint32_t> ready_{0};  // 1 once the call has completed
  worker* w_ = nullptr;
  asio::io_context* ioc_ = nullptr;
#if !defined(__linux__)
  std::mutex mutex_;
  std::condition_variable cv_;
#endif
};

// A blocking caller's state.
template <class R>
struct sync_call_state final : call_state<R> {
  blocking_wait waiter;

  explicit sync_call_state(scheduler& s) : waiter(s) {}

  void on_complete() override {
    // A plain thread's wake-up uses the state after the waiter may have seen it ready.
    boost::intrusive_ptr<reply_slot> keep(waiter.plain_thread() ? this : nullptr);
    waiter.notify();
  }

  // Waits for the result until `deadline`; on timeout completes the call
  // with `errc::timeout` so that a late reply is dropped.
  void wait(std::chrono::steady_clock::time_point deadline) {
    if (!waiter.wait_until(deadline)) {
      if (this->try_claim()) {
        this->error = make_call_error(make_error_code(errc::timeout), {});
        return;
      }
      waiter.wait_until(std::chrono::steady_clock::time_point::max());  // completing right now
    }
  }
};

// The otpp executor behind `ex`, if it is one (possibly type-erased).
template <class Executor>
const basic_executor* as_basic_executor(const Executor& ex) noexcept {
  if constexpr (std::is_same_v<Executor, basic_executor>)
    return &ex;
  else if constexpr (requires { ex.template target<basic_executor>(); })
    return ex.template target<basic_executor>();
  else
    return nullptr;
}

// An asynchronous call in flight: holds the completion handler, which runs
// on its associated executor (default: the runtime's) once the call
// completes, and never from inside the initiating function. When that
// executor is otpp's own (a process's or the runtime's), the operation
// itself is queued there, so completing a call allocates nothing.
template <class R, class Handler>
class async_call_op : public call_state<R>, public timed_entry, public runnable, public inbox_node {
  using executor_t = asio::associated_executor_t<Handler, basic_executor>;
  using work_t = std::decay_t<decltype(asio::prefer(std::declval<const executor_t&>(),
                                                    asio::execution::outstanding_work.tracked))>;

 public:
  async_call_op(Handler&& h, const basic_executor& fallback)
      : inbox_node(true),
        handler_(std::move(h)),
        work_(asio::prefer(asio::get_associated_executor(handler_, fallback),
                           asio::execution::outstanding_work.tracked)) {}

  reply_slot& slot() noexcept override { return *this; }

  // Arms the call's timeout (none for infinity) on the calling thread's
  // timeout queue of `core`, and the per-operation cancellation, if any.
  void start(runtime_core& core, std::chrono::milliseconds timeout) {
    auto cancel = asio::get_associated_cancellation_slot(handler_);
    if (cancel.is_connected()) {
      boost::intrusive_ptr<reply_slot> self(this);
      cancel.assign([self](asio::cancellation_type type) {
        if (type != asio::cancellation_type::none)
          self->fail(asio::error::operation_aborted, {});
      });
    }
    if (timeout != std::chrono::milliseconds::max()) {
      queue_ = &core.timeouts();
      this->deadline = deadline_after(timeout);
      queue_->add(*this);
    }
  }

  void on_complete() override {
    if (queue_) queue_->remove(*this);
    if (const basic_executor* ex = as_basic_executor(work_)) {
      intrusive_ptr_add_ref(static_cast<reply_slot*>(this));  // held while queued
      if (process_base* p = ex->process())
        p->post(static_cast<inbox_node*>(this));  // dropped (and released) if it is gone
      else
        ex->core()->sched.schedule(static_cast<runnable*>(this));
      return;
    }
    boost::intrusive_ptr<async_call_op> self(this);
    asio::post(work_, [self]() mutable { self->invoke(); });
  }

  // Queued on the runtime's workers.
  void run() override {
    process_base* const previous = std::exchange(current_process, nullptr);
    invoke();
    current_process = previous;
    intrusive_ptr_release(static_cast<reply_slot*>(this));
  }
  void discard() noexcept override { intrusive_ptr_release(static_cast<reply_slot*>(this)); }

  // Queued in the calling process's inbox.
  using inbox_node::discard;  // the process's own, beside the run queue's above
  void deliver(process_base&) override { invoke(); }
  void dispose() noexcept override { intrusive_ptr_release(static_cast<reply_slot*>(this)); }

 private:
  void invoke() {
    auto cancel = asio::get_associated_cancellation_slot(handler_);
    if (cancel.is_connected()) cancel.clear();
    Handler h(std::move(handler_));
    auto error = std::move(this->error);
    if constexpr (std::is_void_v<R>) {
      std::move(h)(error);
    } else if (error) {
      std::move(h)(error, R{});
    } else {
      std::move(h)(error, std::move(*this->value));
    }
  }

  Handler handler_;
  work_t work_;
  timeout_queue* queue_ = nullptr;
};

}  // namespace detail
OTPP_END_NAMESPACE

#if !defined(OTPP_SEPARATE_COMPILATION)
#include <otpp/detail/impl/call_state.ipp>
#endif

#endif  // OTPP_DETAIL_CALL_STATE_HPP
