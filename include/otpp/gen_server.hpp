// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_GEN_SERVER_HPP
#define OTPP_GEN_SERVER_HPP

#include <otpp/config.hpp>
#include <otpp/detail/call_state.hpp>
#include <otpp/detail/executor.hpp>
#include <otpp/detail/process_base.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/registry.hpp>
#include <otpp/runtime.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

OTPP_BEGIN_NAMESPACE

/// A coroutine handler's return type: `otpp::awaitable<int> handle_call(get)`.
/// While it is suspended the server takes no other message, and no thread waits.
template <class T>
using awaitable = asio::awaitable<T>;

/// The default call timeout, 5000 ms, as gen_server:call/2.
inline constexpr timeout_type default_timeout{5000};

/// A call message names its reply type: `struct get { using reply_type = int; };`.
template <class M>
concept call_message = requires { typename M::reply_type; };

/// The reply type of call message `M`.
template <call_message M>
using reply_type_t = typename M::reply_type;

/// Identifies the caller of a pending call, as gen_server's `From`: a server
/// that returns `noreply` keeps it and answers later with `reply`, from any
/// thread. A reply after the caller timed out is dropped. If the server exits
/// before replying, the caller fails with `errc::exited`.
template <class R>
class from {
 public:
  from() = default;
  /// Internal.
  explicit from(boost::intrusive_ptr<detail::call_state<R>> s) : s_(std::move(s)) {}

  /// Answers the call, as gen_server:reply/2. Returns false if it was already
  /// answered or the caller gave up.
  template <class V = R>
    requires(!std::is_void_v<R>)
  bool reply(V&& value) const {
    return s_ && s_->try_reply(R(std::forward<V>(value)));
  }
  /// Answers a call whose reply type is `void`.
  bool reply() const
    requires std::is_void_v<R>
  {
    return s_ && s_->try_reply({});
  }
  /// True if this refers to a call.
  explicit operator bool() const noexcept { return s_ != nullptr; }

 private:
  boost::intrusive_ptr<detail::call_state<R>> s_;
};

/// Answers `f`, as gen_server:reply(From, Reply). Returns false if it was
/// already answered or the caller gave up.
template <class R, class V>
bool reply(const from<R>& f, V&& value) {
  return f.reply(std::forward<V>(value));
}

/// Answers `f`, a call whose reply type is `void`, as gen_server:reply(From, ok).
/// Returns false if it was already answered or the caller gave up.
inline bool reply(const from<void>& f) { return f.reply(); }

namespace detail {
template <class T>
inline constexpr bool is_from = false;
template <class R>
inline constexpr bool is_from<from<R>> = true;
}  // namespace detail

// ---- handler results ----

// The results below are [[nodiscard]]: `otpp::reply(v);` as a statement
// (instead of `return otpp::reply(v);`) answers nothing, and says so.

/// `{reply, Reply, State}`: made by `otpp::reply(value)`.
template <class R>
struct [[nodiscard]] reply_result {
  R value;
};

/// A `handle_continue` argument, made by a gen_server's `continue_with(arg)`.
class continuation {
 public:
  continuation() = default;
  /// Internal.
  explicit continuation(std::unique_ptr<detail::inbox_node> n) noexcept : node_(std::move(n)) {}
  explicit operator bool() const noexcept { return node_ != nullptr; }
  /// Internal.
  std::unique_ptr<detail::inbox_node> release() noexcept { return std::move(node_); }

 private:
  std::unique_ptr<detail::inbox_node> node_;
};

/// `{noreply, State}` or `{noreply, State, {continue, Arg}}`: made by `otpp::noreply()`.
struct [[nodiscard]] noreply_result {
  continuation next;
};

/// `{stop, Reason, State}`: made by `otpp::stop(reason)`; `terminate(reason)` runs.
struct [[nodiscard]] stop_result {
  exit_reason reason;
};

/// `{stop, Reason, Reply, State}`: made by `otpp::stop(reason, reply)`.
template <class R>
struct [[nodiscard]] stop_reply_result {
  exit_reason reason;
  R value;
};

/// `{ok, State}`, `{ok, State, Timeout}` or `{ok, State, {continue, Arg}}`: made by `otpp::ok(...)`.
struct [[nodiscard]] ok_result {
  timeout_type idle = infinity;
  continuation next;
};

/// `ignore`: made by `otpp::ignore()`; start then returns an empty reference.
struct [[nodiscard]] ignore_result {};

/// Replies `value` to the caller: `return otpp::reply(v);` from handle_call.
template <class V>
  requires(!detail::is_from<std::remove_cvref_t<V>>)
reply_result<std::decay_t<V>> reply(V&& value) {
  return {std::forward<V>(value)};
}
/// Does not reply now; keep the `from` and reply later.
inline noreply_result noreply() { return {}; }
/// Does not reply now; runs `handle_continue(arg)` before any other message.
inline noreply_result noreply(continuation next) { return {std::move(next)}; }
/// Stops the server with `reason` after `terminate(reason)`.
inline stop_result stop(exit_reason reason) { return {std::move(reason)}; }
/// Replies `value`, then stops the server with `reason` after `terminate(reason)`.
template <class V>
stop_reply_result<std::decay_t<V>> stop(exit_reason reason, V&& value) {
  return {std::move(reason), std::forward<V>(value)};
}
/// `init` succeeded.
inline ok_result ok() { return {}; }
/// `init` succeeded; deliver `idle_timeout` after `idle` without messages
/// (each message restarts the wait; after it fires once, the next message re-arms it).
inline ok_result ok(timeout_type idle) { return {idle, {}}; }
/// `init` succeeded; run `handle_continue(arg)` before any message.
inline ok_result ok(continuation next) { return {infinity, std::move(next)}; }
/// `init` declines to start; the process exits `normal` and start returns an empty reference.
inline ignore_result ignore() { return {}; }

/// What `handle_call` may return besides a plain reply value: `reply(v)`,
/// `noreply()`, `stop(reason)` or `stop(reason, v)`.
template <class R>
class call_result {
 public:
  /// `noreply()`; lets a coroutine handler return `otpp::awaitable<call_result<R>>`.
  call_result() : v_(noreply_result{}) {}
  template <class V>
    requires std::is_convertible_v<V, R>
  call_result(reply_result<V> r) : v_(reply_result<R>{R(std::move(r.value))}) {}
  call_result(noreply_result r) : v_(std::move(r)) {}
  call_result(stop_result r) : v_(std::move(r)) {}
  template <class V>
    requires std::is_convertible_v<V, R>
  call_result(stop_reply_result<V> r) : v_(stop_reply_result<R>{std::move(r.reason), R(std::move(r.value))}) {}

  /// Internal.
  std::variant<reply_result<R>, noreply_result, stop_result, stop_reply_result<R>>& get() { return v_; }

 private:
  std::variant<reply_result<R>, noreply_result, stop_result, stop_reply_result<R>> v_;
};

/// `handle_call` results for a call whose reply type is `void`.
template <>
class call_result<void> {
 public:
  /// `noreply()`.
  call_result() = default;
  call_result(noreply_result r) : v_(std::move(r)) {}
  call_result(stop_result r) : v_(std::move(r)) {}
  /// Internal.
  std::variant<noreply_result, stop_result>& get() { return v_; }

 private:
  std::variant<noreply_result, stop_result> v_;
};

/// What `handle_cast`, `handle_info` and `handle_continue` may return:
/// `noreply()` (optionally with a continuation) or `stop(reason)`.
class cast_result {
 public:
  /// `noreply()`; lets a coroutine handler return `otpp::awaitable<cast_result>`.
  cast_result() = default;
  cast_result(noreply_result r) : v_(std::move(r)) {}
  cast_result(stop_result r) : v_(std::move(r)) {}
  /// Internal.
  std::variant<noreply_result, stop_result>& get() { return v_; }

 private:
  std::variant<noreply_result, stop_result> v_;
};

/// What `init` may return: `ok(...)`, `ignore()` or `stop(reason)`.
class init_result {
 public:
  init_result(ok_result r) : v_(std::move(r)) {}
  init_result(ignore_result r) : v_(r) {}
  init_result(stop_result r) : v_(std::move(r)) {}
  /// Internal.
  std::variant<ok_result, ignore_result, stop_result>& get() { return v_; }

 private:
  std::variant<ok_result, ignore_result, stop_result> v_;
};

/// The exception `start` throws: `code()` is `errc::already_started` (with
/// `holder()`, the pid that has the name) or `errc::init_failed` (with
/// `reason()`, why init stopped or what it threw).
class start_error : public boost::system::system_error {
 public:
  start_error(error_code code, exit_reason reason, pid holder = {})
      : boost::system::system_error(code, detail::reason_text(reason)),
        reason_(std::move(reason)),
        holder_(std::move(holder)) {}
  /// Why init failed.
  const exit_reason& reason() const noexcept { return reason_; }
  /// For `already_started`, the process that holds the name.
  const pid& holder() const noexcept { return holder_; }

 private:
  exit_reason reason_;
  pid holder_;
};

template <class Impl>
class supervisor;

namespace detail {
template <class Impl>
class server_process;
template <class Impl>
inline const char impl_tag = 0;
// A supervisor callback module (see supervisor.hpp), which `start` starts as a supervisor.
template <class Impl>
concept supervisor_module = std::is_base_of_v<supervisor<Impl>, Impl>;
}  // namespace detail

/// The base of a gen_server implementation, through CRTP:
///
/// ```
/// struct counter : otpp::gen_server<counter> {
///   struct get { using reply_type = int; };
///   struct add { int by; };
///   int value = 0;
///   int handle_call(get) { return value; }
///   void handle_cast(add a) { value += a.by; }
/// };
/// ```
///
/// Callbacks, all optional, with OTP's names: `init()`, `handle_call(M)` or
/// `handle_call(M, from<R>)`, `handle_cast(M)`, `handle_info(M)` (also for
/// `down`, `exit_signal`, `idle_timeout` and `otpp::message`),
/// `handle_continue(C)`, `terminate(const exit_reason&)`. A handler may return
/// `otpp::awaitable<...>` and `co_await`; the server takes no other message
/// until it finishes. Members here are helpers for the implementation; their
/// names never collide with the callbacks.
template <class Impl>
class gen_server {
 public:
  /// The executor of this server's process: a strand that runs the server's
  /// handlers. Bind timers and sockets to it.
  using executor_type = detail::basic_executor;

  /// This server's pid, as self().
  pid self() const { return pid(process_); }

  /// This server's executor.
  executor_type get_executor() const { return executor_type(&process_->rt, process_); }

 protected:
  gen_server() : process_(detail::current_process) {}
  gen_server(const gen_server&) = delete;
  gen_server& operator=(const gen_server&) = delete;

  /// Traps exit signals (they arrive as `exit_signal` info messages), as
  /// process_flag(trap_exit, true). A trapping server still runs `terminate`
  /// and stops when the exit signal comes from its parent or the runtime.
  void trap_exit(bool on = true) { process_->trap_exit = on; }

  /// Sends `msg` to this server's `handle_info` after `after`, as
  /// erlang:send_after(Time, self(), Msg). Cancel with `cancel_timer`.
  template <class M>
  timer_ref send_after(timeout_type after, M msg);

  /// A `handle_continue(arg)` to run right after this callback, before any
  /// other message: `return otpp::noreply(continue_with(load{}));`.
  template <class C>
  continuation continue_with(C arg);

  /// Runs `f()` in a new task process, so that long work does not hold up
  /// this server's mailbox (as fauxtp's spawn_task). When the task ends,
  /// `handle_task_end(task, status, result)` runs in this server as an info
  /// message: `status` is `normal` and `result` holds what `f` returned, or
  /// `status` is the task's exit reason (e.g. the exception `f` threw) and
  /// `result` is empty; for a `void` function it is
  /// `handle_task_end(task, status)`. `f` may be a coroutine. The task is not
  /// linked to the server: its failure does not stop the server, and if the
  /// server exits first the task runs on and its result is dropped.
  /// Returns the task's pid.
  template <class F>
  pid spawn_task(F f);

 private:
  detail::process_base* process_;
};

/// A typed reference to a gen_server of type `Impl`: by pid, or by name
/// (resolved at each use, so it reaches whichever process holds the name).
/// `call`, `cast` and `send` through it are checked at compile time.
template <class Impl>
class server_ref {
 public:
  /// An empty reference.
  server_ref() = default;
  /// Refers to `p`, which must be a gen_server of type `Impl`; throws
  /// `system_error` (`errc::wrong_type`) if it is of another type.
  explicit server_ref(otpp::pid p) : pid_(std::move(p)) {
    if (pid_ && pid_.get()->type_tag() != &detail::impl_tag<Impl>)
      throw boost::system::system_error(make_error_code(errc::wrong_type));
    if (pid_) core_ = &pid_.get()->rt;
  }
  /// Refers to whichever process has the local name `n` in `rt`.
  server_ref(runtime& rt, name n) : core_(&rt.core()), name_(std::move(n.value)) {}

  /// The process this refers to now; empty if none (unknown name).
  otpp::pid pid() const {
    if (!name_.empty()) return core_ ? core_->whereis(name_) : otpp::pid();
    return pid_;
  }
  /// True unless empty.
  explicit operator bool() const noexcept { return pid_ || !name_.empty(); }

  /// Internal: the process, or an error (noproc, wrong_type).
  /// A by-name reference fills `keep` with the process found, so that it
  /// stays valid; a by-pid one already holds its process and leaves `keep`
  /// empty (no reference-count traffic on every cast).
  detail::process_base* resolve(otpp::pid& keep, error_code& ec) const {
    if (!name_.empty()) keep = pid();
    const otpp::pid& found = name_.empty() ? pid_ : keep;
    if (!found || !found.get()->alive.load(std::memory_order_acquire)) {
      ec = make_error_code(errc::noproc);
      return nullptr;
    }
    // A by-pid reference was checked when it was made; a name may now be held by another type.
    if (!name_.empty() && found.get()->type_tag() != &detail::impl_tag<Impl>) {
      ec = make_error_code(errc::wrong_type);
      return nullptr;
    }
    return found.get();
  }
  /// Internal: the runtime this refers into (null if empty).
  detail::runtime_core* core() const noexcept { return core_; }

 private:
  otpp::pid pid_;
  detail::runtime_core* core_ = nullptr;
  std::string name_;
};

OTPP_END_NAMESPACE

#include <otpp/detail/server_process.hpp>
#include <otpp/detail/task_process.hpp>

OTPP_BEGIN_NAMESPACE

template <class Impl>
template <class F>
pid gen_server<Impl>::spawn_task(F f) {
  using R = detail::task_result_t<F>;
  static_assert(detail::has_handle_task_end<Impl, R>,
                "spawn_task(f): the gen_server has no handle_task_end(const otpp::pid&, const "
                "otpp::exit_reason&, std::optional<R>) for f's result type R (or "
                "handle_task_end(const otpp::pid&, const otpp::exit_reason&) for void)");
  boost::intrusive_ptr<detail::task_target<R>> target(new detail::task_end_target<Impl, R>(self()), false);
  return detail::start_task(process_->rt, std::move(f), std::move(target), false);
}

template <class Impl>
template <class M>
timer_ref gen_server<Impl>::send_after(timeout_type after, M msg) {
  return detail::start_timer(self(), after, [m = std::move(msg)]() mutable {
    return new detail::info_node<Impl, M>(std::move(m));
  });
}

template <class Impl>
template <class C>
continuation gen_server<Impl>::continue_with(C arg) {
  static_assert(detail::has_handle_continue<Impl, C>,
                "continue_with(arg): the gen_server has no handle_continue(arg) for this type");
  return continuation(std::make_unique<detail::continue_node<Impl, C>>(std::move(arg)));
}

/// Starts a gen_server of type `Impl`, as gen_server:start/3: constructs
/// `Impl(args...)` in a new process and runs its `init()` there before
/// returning. Returns the server's reference, or an empty one if init
/// returned `ignore()`. Throws `start_error` if init stopped or threw
/// (`errc::init_failed`).
template <class Impl, class... Args>
  requires(!detail::supervisor_module<Impl>)
server_ref<Impl> start(runtime& rt, Args&&... args) {
  return detail::start_server<Impl>(rt.core(), {}, false, std::forward<Args>(args)...);
}

/// Starts a gen_server registered under the local name `n`, as
/// gen_server:start({local, Name}, ...). Throws `start_error` with
/// `errc::already_started` (and the holder's pid) if the name is taken.
template <class Impl, class... Args>
  requires(!detail::supervisor_module<Impl>)
server_ref<Impl> start(runtime& rt, name n, Args&&... args) {
  return detail::start_server<Impl>(rt.core(), std::move(n.value), false, std::forward<Args>(args)...);
}

/// Starts a gen_server linked to the calling process, as gen_server:start_link/3.
/// The caller becomes its parent: an exit signal from the parent makes a
/// trapping server run `terminate` and stop. Throws `system_error`
/// (`errc::not_in_process`) outside a process, else as `start`.
template <class Impl, class... Args>
  requires(!detail::supervisor_module<Impl>)
server_ref<Impl> start_link(Args&&... args) {
  auto& parent = detail::require_process("start_link");
  return detail::start_server<Impl>(parent.rt, {}, true, std::forward<Args>(args)...);
}

/// As `start_link`, registered under the local name `n`.
template <class Impl, class... Args>
  requires(!detail::supervisor_module<Impl>)
server_ref<Impl> start_link(name n, Args&&... args) {
  auto& parent = detail::require_process("start_link");
  return detail::start_server<Impl>(parent.rt, std::move(n.value), true, std::forward<Args>(args)...);
}

/// Sends a request and waits for the reply, as gen_server:call/3. Returns
/// the reply of type `M::reply_type`. Throws `call_error` with
/// `errc::timeout` (no reply within `timeout`; a late reply is dropped),
/// `errc::noproc` (dead process or unknown name), `errc::calling_self`, or
/// `errc::exited` (the server exited first; see `reason()`).
///
/// From a plain thread it blocks the thread. Inside a process it blocks that
/// process (as in Erlang) while the worker thread goes on running other
/// processes; a coroutine handler should prefer `co_await async_call(...)`.
template <class Impl, call_message M>
reply_type_t<M> call(const server_ref<Impl>& ref, M msg, timeout_type timeout = default_timeout) {
  using R = reply_type_t<M>;
  static_assert(detail::has_handle_call<Impl, M>,
                "call(ref, msg): the gen_server has no handle_call(msg) or "
                "handle_call(msg, otpp::from<reply_type>) for this message type");
  return detail::sync_request<R>(ref, timeout, [&](auto state) {
    return new detail::call_node<Impl, M>(std::move(msg), std::move(state));
  });
}

/// Starts a call and completes `token` with the reply, as gen_server:call/3
/// for Asio. Completion signature: `void(std::exception_ptr, R)` (or
/// `void(std::exception_ptr)` for a `void` reply); the exception is a
/// `call_error` as `call` throws. The handler runs on its associated
/// executor (by default the runtime's), never inside this function.
/// Per-operation cancellation: a connected cancellation slot withdraws the
/// call, which completes with `asio::error::operation_aborted`.
/// Works with `use_awaitable`, `use_future`, `deferred` and callbacks.
template <class Impl, call_message M, class CompletionToken>
auto async_call(const server_ref<Impl>& ref, M msg, timeout_type timeout, CompletionToken&& token) {
  using R = reply_type_t<M>;
  static_assert(detail::has_handle_call<Impl, M>,
                "async_call(ref, msg): the gen_server has no handle_call(msg) or "
                "handle_call(msg, otpp::from<reply_type>) for this message type");
  return asio::async_initiate<CompletionToken, typename detail::call_signature<R>::type>(
      [](auto handler, server_ref<Impl> ref, M msg, timeout_type timeout) {
        using H = decltype(handler);
        pid keep;
        error_code ec;
        detail::process_base* p = ref.resolve(keep, ec);
        detail::runtime_core* core = ref.core();
        if (!core) return detail::post_noproc<R>(std::move(handler));  // an empty reference: no runtime
        auto* op = new detail::async_request<Impl, M, H>(
            std::move(handler), detail::basic_executor(core, nullptr), std::move(msg));
        boost::intrusive_ptr<detail::reply_slot> own(op, false);
        if (!p) return op->fail(ec, {});
        if (p == detail::current_process) return op->fail(make_error_code(errc::calling_self), {});
        op->start(*core, timeout);
        if (!op->send(*p)) op->fail(make_error_code(errc::noproc), {});
      },
      token, ref, std::move(msg), timeout);
}

/// As `async_call` with the default 5000 ms timeout.
template <class Impl, call_message M, class CompletionToken>
  requires(!std::is_convertible_v<CompletionToken, timeout_type>)
auto async_call(const server_ref<Impl>& ref, M msg, CompletionToken&& token) {
  return async_call(ref, std::move(msg), default_timeout, std::forward<CompletionToken>(token));
}

/// Sends an asynchronous request, as gen_server:cast/2. Never fails: a cast
/// to a dead process or an unknown name is dropped.
template <class Impl, class M>
void cast(const server_ref<Impl>& ref, M msg) {
  static_assert(detail::has_handle_cast<Impl, M>,
                "cast(ref, msg): the gen_server has no handle_cast(msg) for this message type");
  pid keep;
  error_code ec;
  if (auto* p = ref.resolve(keep, ec)) p->post_message(new detail::cast_node<Impl, M>(std::move(msg)));
}

/// Sends `msg` to the server's `handle_info(M)`, as `Pid ! Msg`, checked at
/// compile time. Never fails.
template <class Impl, class M>
void send(const server_ref<Impl>& ref, M msg) {
  static_assert(detail::has_handle_info<Impl, M> || detail::has_handle_info<Impl, message>,
                "send(ref, msg): the gen_server has no handle_info(msg) for this message type");
  pid keep;
  error_code ec;
  if (auto* p = ref.resolve(keep, ec)) p->post_message(new detail::info_node<Impl, M>(std::move(msg)));
}

/// Stops the server with `reason` and waits until it has exited, as
/// gen_server:stop/3: `terminate(reason)` runs first. Throws `call_error`
/// with `errc::noproc` if it is not running, `errc::timeout` if it has not
/// stopped within `timeout`, or `errc::exited` if it exited with another reason first.
template <class Impl>
void stop(const server_ref<Impl>& ref, exit_reason reason = normal, timeout_type timeout = infinity) {
  detail::sync_request<void>(ref, timeout, [&](auto state) {
    return new detail::stop_node<Impl>(std::move(reason), std::move(state));
  });
}

OTPP_END_NAMESPACE

#endif  // OTPP_GEN_SERVER_HPP
