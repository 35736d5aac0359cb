// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_TASK_HPP
#define OTPP_TASK_HPP

#include <otpp/child_spec.hpp>
#include <otpp/config.hpp>
#include <otpp/dynamic_supervisor.hpp>
#include <otpp/gen_server.hpp>

#include <boost/asio/async_result.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

OTPP_BEGIN_NAMESPACE

// The functions below are templates (`template <int = 0>`, nothing to
// deduce) only so that a program compiles the task supervisor's code where it
// calls them, not in every unit that includes otpp/otpp.hpp.

namespace detail {

// A task's outcome, kept until the task is awaited; an await that starts
// before the outcome attaches its own waiter, which the outcome completes.
template <class R>
class task_state final : public task_target<R> {
 public:
  ~task_state() {
    call_state<R>* w = waiter_.load(std::memory_order_relaxed);
    if (w && w != done_mark()) intrusive_ptr_release(w);
  }

  // Hands the outcome to `w` when it comes; false if it is here already.
  bool attach(boost::intrusive_ptr<call_state<R>> w) {
    call_state<R>* expected = nullptr;
    call_state<R>* raw = w.get();
    // acq_rel: on failure we read the outcome the completing side stored.
    if (!waiter_.compare_exchange_strong(expected, raw, std::memory_order_acq_rel)) return false;
    w.detach();  // the reference now belongs to waiter_
    return true;
  }

  // After attach returned false: hands the outcome to `w` now.
  void forward(call_state<R>& w) {
    if (this->error) w.try_fail(this->error);
    else w.try_reply(std::move(*this->value));
  }

  void on_complete() override {
    // One exchange orders the outcome before the waiter reads it, and tells
    // a later attach that it is here: no lock between the two sides.
    call_state<R>* w = waiter_.exchange(done_mark(), std::memory_order_acq_rel);
    if (!w) return;
    boost::intrusive_ptr<call_state<R>> own(w, false);
    forward(*w);
  }

 private:
  static call_state<R>* done_mark() noexcept {
    return reinterpret_cast<call_state<R>*>(std::uintptr_t{1});
  }
  std::atomic<call_state<R>*> waiter_{nullptr};  // null, a waiter, or done_mark()
};

// Kills a task whose awaiting side gave up. A caller linked to the task
// (otpp::async inside a process) unlinks first, so that it runs on with its
// timeout error instead of dying of the task's `killed`.
inline void stop_abandoned_task(const pid& task) {
  if (current_process) unlink(task);
  otpp::exit(task, kill);
}

// An async_await: stops the task when it gives up waiting, as Task.await.
template <class R, class Handler>
class task_await_op final : public async_call_op<R, Handler> {
 public:
  task_await_op(Handler&& h, const basic_executor& fallback, pid task)
      : async_call_op<R, Handler>(std::move(h), fallback), task_(std::move(task)), caller_(otpp::self()) {}
  void fail(error_code code, const exit_reason& reason) override {
    // Claim the call before stopping the task: the task's exit completes its
    // state, which must then find this call done, not complete (and free) it
    // while we are still here.
    if (!this->try_claim()) return;
    this->error = make_call_error(code, reason);
    if (code != make_error_code(errc::exited)) {
      // A timeout fires on no particular thread: unlink from the caller's own context.
      auto stop = [task = task_] { stop_abandoned_task(task); };
      if (!caller_ || !caller_.get()->post(new work_node<decltype(stop)>(std::move(stop))))
        otpp::exit(task_, kill);
    }
    this->on_complete();
  }

 private:
  pid task_;
  pid caller_;
};

}  // namespace detail

/// A running task, as Elixir's %Task{}: a process computing one value of
/// type `R`, to be awaited once with `otpp::await` or `otpp::async_await`.
/// Move-only; awaiting empties it.
template <class R>
class task {
 public:
  /// An empty task.
  task() = default;
  /// Internal.
  explicit task(boost::intrusive_ptr<detail::task_state<R>> s) : state_(std::move(s)) {}
  task(task&&) noexcept = default;
  task& operator=(task&&) noexcept = default;

  /// The task's process.
  otpp::pid pid() const { return state_ ? state_->task : otpp::pid(); }
  /// True until awaited.
  explicit operator bool() const noexcept { return state_ != nullptr; }

  /// Internal.
  boost::intrusive_ptr<detail::task_state<R>> release() noexcept { return std::move(state_); }

 private:
  boost::intrusive_ptr<detail::task_state<R>> state_;
};

namespace detail {
template <class F>
task<task_result_t<F>> start_async(runtime_core& rt, F f, bool linked) {
  using R = task_result_t<F>;
  boost::intrusive_ptr<task_state<R>> state(new task_state<R>(), false);
  start_task(rt, std::move(f), state, linked);
  return task<R>(std::move(state));
}
}  // namespace detail

/// Runs `f()` in a new process and returns the task, as Task.async/1 from
/// outside any process (nothing is linked). `f` may be a coroutine
/// (`otpp::awaitable<R> f()`).
template <class F>
task<detail::task_result_t<F>> async(runtime& rt, F f) {
  return detail::start_async(rt.core(), std::move(f), false);
}

/// As Task.async/1 inside a process: the task is linked to the caller, so
/// that if either fails the other gets the exit signal. Throws
/// `system_error` (`errc::not_in_process`) outside a process.
template <class F>
task<detail::task_result_t<F>> async(F f) {
  auto& caller = detail::require_process("async");
  return detail::start_async(caller.rt, std::move(f), true);
}

/// Waits for the task's result, as Task.await/2, and empties `t`. Throws
/// `call_error`: `errc::timeout` if it has not finished within `timeout`
/// (the task is then killed), `errc::exited` if it failed (`reason()` says
/// why, e.g. the exception it threw), `errc::noproc` if `t` is empty. Blocks
/// as `otpp::call` does; in a coroutine prefer `async_await`.
template <class R>
R await(task<R>& t, timeout_type timeout = default_timeout) {
  auto state = t.release();
  if (!state) throw call_error(make_error_code(errc::noproc));
  const pid p = state->task;
  boost::intrusive_ptr<detail::sync_call_state<R>> w(new detail::sync_call_state<R>(p.get()->rt.sched), false);
  if (state->attach(w)) {
    w->wait(detail::deadline_after(timeout));
    if (w->error && !state->done()) detail::stop_abandoned_task(p);  // timed out
  } else {
    state->forward(*w);
  }
  if (w->error) std::rethrow_exception(w->error);
  if constexpr (!std::is_void_v<R>) return std::move(*w->value);
}

/// Waits for the task's result and completes `token` with it, as Task.await/2
/// for Asio; empties `t`. Completion signature `void(std::exception_ptr, R)`
/// (`void(std::exception_ptr)` for `void`), errors as `await`; on timeout
/// or cancellation the task is killed.
template <class R, class CompletionToken>
auto async_await(task<R>& t, timeout_type timeout, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, typename detail::call_signature<R>::type>(
      [](auto handler, boost::intrusive_ptr<detail::task_state<R>> state, timeout_type timeout) {
        using H = decltype(handler);
        if (!state) return detail::post_noproc<R>(std::move(handler));  // awaited already
        detail::runtime_core& core = state->task.get()->rt;
        auto* op = new detail::task_await_op<R, H>(std::move(handler), detail::basic_executor(&core, nullptr),
                                                   state->task);
        boost::intrusive_ptr<detail::call_state<R>> own(op, false);
        op->start(core, timeout);
        if (!state->attach(own)) state->forward(*op);
      },
      token, t.release(), timeout);
}

/// As `async_await` with the default 5000 ms timeout.
template <class R, class CompletionToken>
  requires(!std::is_convertible_v<CompletionToken, timeout_type>)
auto async_await(task<R>& t, CompletionToken&& token) {
  return async_await(t, default_timeout, std::forward<CompletionToken>(token));
}

/// A supervisor for tasks, as Elixir's Task.Supervisor: a dynamic_supervisor
/// whose tasks are temporary children.
using task_supervisor_ref = dynamic_supervisor_ref;

/// Starts a task supervisor, as Task.Supervisor.start_link/1 without the
/// link; `flags` as a dynamic_supervisor's (max_children, restart intensity).
template <int = 0>
task_supervisor_ref start_task_supervisor(runtime& rt, dynamic_supervisor_flags flags = {}) {
  return start_dynamic_supervisor(rt, flags);
}

/// As `start_task_supervisor`, registered under the local name `n`.
template <int = 0>
task_supervisor_ref start_task_supervisor(runtime& rt, name n, dynamic_supervisor_flags flags = {}) {
  return start_dynamic_supervisor(rt, std::move(n), flags);
}

/// Runs `f()` as a temporary child of `sup`, not linked to the caller, and
/// returns the task to await, as Task.Supervisor.async_nolink/2: a failing
/// task does not affect the caller, whose `await` reports the failure.
/// The supervisor stops the task (shutdown 5000 ms) when it stops. Throws
/// as `start_child`.
template <class F>
task<detail::task_result_t<F>> async_nolink(const task_supervisor_ref& sup, F f) {
  using R = detail::task_result_t<F>;
  boost::intrusive_ptr<detail::task_state<R>> state(new detail::task_state<R>(), false);
  child_spec spec;
  spec.restart = temporary;
  // A child_spec's start is a std::function, which must be copyable; `f` need not be.
  auto fn = std::make_shared<F>(std::move(f));
  spec.start = [state, fn]() -> pid {
    return detail::start_task(detail::require_process("async_nolink").rt, std::move(*fn), state, true);
  };
  start_child(sup, std::move(spec));
  return task<R>(std::move(state));
}

OTPP_END_NAMESPACE

#endif  // OTPP_TASK_HPP
