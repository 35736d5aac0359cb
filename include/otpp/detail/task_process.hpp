// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_TASK_PROCESS_HPP
#define OTPP_DETAIL_TASK_PROCESS_HPP

// The process behind a task: it runs one function and hands its result (or
// its exit reason) to a target slot: the task handle's state for
// async/await, or a message to the gen_server that called spawn_task.
// Included by gen_server.hpp after server_process.hpp.

#include <mutex>
#include <optional>

OTPP_BEGIN_NAMESPACE
namespace detail {

// What a task's function returns: `R` for `R f()` and for `awaitable<R> f()`.
template <class F, class Result = std::invoke_result_t<F&>>
struct task_result {
  using type = Result;
};
template <class F, class T, class Ex>
struct task_result<F, asio::awaitable<T, Ex>> {
  using type = T;
};
template <class F>
using task_result_t = typename task_result<F>::type;

// Where a task's outcome goes; completed once, by the result or by the
// task's exit (as `owner_exited`, the task holding it as a deferred reply).
template <class R>
struct task_target : call_state<R> {
  pid task;  // set in the task's init, before the function runs
};

template <class R, class F>
class task_server final : public gen_server<task_server<R, F>> {
  struct run {};
  static constexpr bool is_coroutine = awaitable_traits<std::invoke_result_t<F&>>::value;

 public:
  using task_function = F;  // named in crash reports

  task_server(F f, boost::intrusive_ptr<task_target<R>> target) : f_(std::move(f)), target_(std::move(target)) {}

  ok_result init() {
    target_->task = this->self();
    // Held as a deferred reply: if the task dies first, the target learns why.
    current_process->owed.push(target_.get());
    return ok(this->continue_with(run{}));
  }

  cast_result handle_continue(run)
    requires(!is_coroutine)
  {
    if constexpr (std::is_void_v<R>) {
      f_();
      target_->try_reply({});
    } else {
      target_->try_reply(f_());
    }
    return stop(normal);
  }

  awaitable<cast_result> handle_continue(run)
    requires is_coroutine
  {
    if constexpr (std::is_void_v<R>) {
      co_await f_();
      target_->try_reply({});
    } else {
      target_->try_reply(co_await f_());
    }
    co_return stop(normal);
  }

 private:
  F f_;
  boost::intrusive_ptr<task_target<R>> target_;
};

// Starts a task process running `f` and reporting to `target`; linked to
// the calling process if `linked`.
template <class F>
pid start_task(runtime_core& rt, F f, boost::intrusive_ptr<task_target<task_result_t<F>>> target, bool linked) {
  using server = task_server<task_result_t<F>, F>;
  return start_server<server>(rt, {}, linked, std::move(f), std::move(target)).pid();
}

// The outcome of a spawn_task, delivered to the gen_server that spawned it
// as a message (so it waits its turn like any info message).
template <class Impl, class R>
struct task_end_node final : inbox_node {
  pid task;
  exit_reason status;
  std::optional<reply_storage<R>> result;
  task_end_node(pid t, exit_reason s, std::optional<reply_storage<R>> r)
      : inbox_node(false), task(std::move(t)), status(std::move(s)), result(std::move(r)) {}
  void deliver(process_base& p) override {
    auto& server = static_cast<server_process<Impl>&>(p);
    if constexpr (std::is_void_v<R>) server.on_task_end(task, status);
    else server.on_task_end(task, status, std::move(result));
  }
};

template <class Impl, class R>
struct task_end_target final : task_target<R> {
  pid server;
  exit_reason status;
  explicit task_end_target(pid s) : server(std::move(s)) {}

  void owner_exited(const exit_reason& reason) override {
    if (!this->try_claim()) return;
    status = reason;
    on_complete();
  }
  void on_complete() override {
    std::optional<reply_storage<R>> result;
    if (this->value) result = std::move(this->value);
    else if (status.is_normal()) status = exit_reason::error("task failed");  // never: a result or an exit
    server.get()->post_message(new task_end_node<Impl, R>(this->task, std::move(status), std::move(result)));
  }
};

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_TASK_PROCESS_HPP
