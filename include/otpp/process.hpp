// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_PROCESS_HPP
#define OTPP_PROCESS_HPP

#include <otpp/config.hpp>
#include <otpp/detail/process_base.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/pid.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <typeinfo>
#include <utility>

OTPP_BEGIN_NAMESPACE

/// A timeout in milliseconds, as OTP's; `otpp::infinity` waits forever.
using timeout_type = std::chrono::milliseconds;

/// No timeout: wait forever, as OTP's `infinity`.
inline constexpr timeout_type infinity = timeout_type::max();

/// The idle-timeout info message a gen_server receives after it has been
/// idle for the timeout its `init` asked for (OTP's `timeout` message).
struct idle_timeout {};

/// A monitor reference, as returned by `monitor`.
using monitor_ref = std::uint64_t;

/// An info message of any type, as sent with `send(pid, msg)` to a process
/// whose type the sender does not know. A gen_server receives it in
/// `handle_info(otpp::message)` and matches it with `get_if<T>()`, much as
/// Erlang's handle_info matches a term.
class message {
 public:
  /// Boxes `value`.
  template <class T>
  explicit message(T value) : box_(make_box(std::move(value))) {}

  /// The boxed value if it is a `T`, else null.
  template <class T>
  T* get_if() noexcept {
    return box_ && box_->type() == typeid(T) ? &static_cast<box<T>*>(box_.get())->value : nullptr;
  }
  /// True if the boxed value is a `T`.
  template <class T>
  bool is() const noexcept {
    return box_ && box_->type() == typeid(T);
  }
  /// The boxed value's type.
  const std::type_info& type() const noexcept { return box_->type(); }

 private:
  struct box_base {
    virtual ~box_base() = default;
    virtual const std::type_info& type() const noexcept = 0;
  };
  template <class T>
  struct box final : box_base {
    explicit box(T v) : value(std::move(v)) {}
    const std::type_info& type() const noexcept override { return typeid(T); }
    T value;
  };
  // Not inlined: where GCC 12 at -O3 sees a box's size beside a get_if for
  // another type, it warns (-Warray-bounds) about the branch that cannot run.
  template <class T>
  [[gnu::noinline]] static std::unique_ptr<box_base> make_box(T value) {
    return std::make_unique<box<T>>(std::move(value));
  }
  std::unique_ptr<box_base> box_;
};

namespace detail {

struct boxed_message_node final : inbox_node {
  message m;
  explicit boxed_message_node(message mm) : inbox_node(false), m(std::move(mm)) {}
  void deliver(process_base& p) override;
};

inline process_base& require_process(const char* what) {
  if (!current_process)
    throw boost::system::system_error(make_error_code(errc::not_in_process), what);
  return *current_process;
}

// A pending send_after timer. Whoever moves `state` off `pending` first (the
// timer firing, or cancel_timer) decides the outcome. The Asio timer itself
// is owned by its wait handler alone, so it never outlives its io_context;
// a timer_ref only keeps the state and a weak link to it.
struct timer_state {
  std::atomic<int> state{0};  // 0 pending, 1 fired, 2 cancelled
  std::weak_ptr<asio::steady_timer> timer;
};

}  // namespace detail

/// A pending `send_after` timer, for `cancel_timer`. It may outlive the
/// timer and the runtime.
class timer_ref {
 public:
  timer_ref() = default;
  explicit timer_ref(std::shared_ptr<detail::timer_state> s) : s_(std::move(s)) {}
  /// True if this refers to a timer.
  explicit operator bool() const noexcept { return s_ != nullptr; }

 private:
  friend bool cancel_timer(const timer_ref&);
  std::shared_ptr<detail::timer_state> s_;
};

/// Cancels a `send_after` timer, as erlang:cancel_timer/1. Returns true if the
/// message will not be sent; false if it was already sent (it may then be in
/// the receiver's mailbox) or the timer was cancelled before.
inline bool cancel_timer(const timer_ref& t) {
  if (!t.s_) return false;
  int expected = 0;
  if (!t.s_->state.compare_exchange_strong(expected, 2)) return false;
  // Free the timer early; it belongs to its io_context's thread, so cancel it there.
  if (auto timer = t.s_->timer.lock()) asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  return true;
}

/// The calling process's pid, as erlang:self/0; an empty pid outside any process.
inline pid self() {
  return detail::current_process ? pid(detail::current_process) : pid();
}

/// True while the process runs, as erlang:is_process_alive/1.
inline bool is_alive(const pid& p) noexcept {
  return p && p.get()->alive.load(std::memory_order_acquire);
}

/// Sends `msg` to `to` as an info message (Erlang's `!`). The receiver gets
/// it in `handle_info(otpp::message)`; a gen_server without that handler
/// logs it as unhandled. Never fails: sending to a dead process does nothing.
template <class M>
void send(const pid& to, M msg) {
  if (auto* p = to.get()) p->post_message(new detail::boxed_message_node(message(std::move(msg))));
}

/// Sends an exit signal to `to`, as erlang:exit/2. With `kill` the process
/// dies with reason `killed` and cannot trap it; with `normal` a process that
/// does not trap exits ignores it; any other reason kills a process that does
/// not trap exits and reaches one that does as an `exit_signal` info message.
/// A handler that is running is never pre-empted: the signal takes effect
/// when it returns (or, for `kill`, at once if a coroutine handler is
/// suspended). The sender is `self()`; from outside any process it is empty,
/// and a trapping process receives `exit_signal{pid(), reason}`.
inline void exit(const pid& to, exit_reason reason) {
  if (auto* p = to.get())
    p->post(new detail::exit_signal_node(self(), std::move(reason), detail::exit_origin::exit_call));
}

/// Turns exit signals into `exit_signal` info messages for the calling
/// process, as process_flag(trap_exit, On). Throws `system_error`
/// (`errc::not_in_process`) outside a process.
inline void trap_exit(bool on) { detail::require_process("trap_exit").trap_exit = on; }

/// Links the calling process to `other`, as erlang:link/1: when either exits
/// abnormally the other receives the exit signal. Linking to a dead process
/// delivers an exit signal with reason `noproc`. Throws `system_error`
/// (`errc::not_in_process`) outside a process.
inline void link(const pid& other) {
  auto& me = detail::require_process("link");
  if (!other || other.get() == &me) return;
  if (!me.links.insert(other)) return;  // linked already (a start_link): nothing to tell the other side
  // Dead already (even if its last turn is still running): noproc, as OTP.
  if (!other.get()->alive.load(std::memory_order_acquire) || !other.get()->post(new detail::link_node(me.self())))
    me.post(new detail::exit_signal_node(other, noproc, detail::exit_origin::link));
}

/// Removes the link between the calling process and `other`, as erlang:unlink/1.
inline void unlink(const pid& other) {
  auto& me = detail::require_process("unlink");
  if (!other) return;
  me.links.erase(other);
  other.get()->post(new detail::unlink_node(me.self()));
}

/// Monitors `target` from the calling process, as erlang:monitor(process, Pid):
/// when it exits the caller gets a `down` info message with its reason, or
/// with `noproc` if it is already dead. Returns the reference the `down`
/// carries. Throws `system_error` (`errc::not_in_process`) outside a process.
inline monitor_ref monitor(const pid& target) {
  auto& me = detail::require_process("monitor");
  const monitor_ref ref = me.rt.next_ref();
  me.extras().monitors.push_back({ref, target});
  // Dead already (even if its last turn is still running): noproc, as OTP.
  if (!target || !target.get()->alive.load(std::memory_order_acquire) ||
      !target.get()->post(new detail::monitor_node(me.self(), ref)))
    me.post(new detail::down_node(down{ref, target, noproc}));
  return ref;
}

/// Removes a monitor of the calling process, as erlang:demonitor(Ref, [flush]):
/// no `down` for it is delivered afterwards, even one already queued.
/// Unknown references are ignored.
inline void demonitor(monitor_ref ref) {
  auto& me = detail::require_process("demonitor");
  auto* x = me.extras_if();
  if (!x) return;
  auto it = std::find_if(x->monitors.begin(), x->monitors.end(),
                         [&](const auto& m) { return m.ref == ref; });
  if (it == x->monitors.end()) return;
  pid target = std::move(it->target);
  x->monitors.erase(it);
  if (target) target.get()->post(new detail::demonitor_node(ref));
}

namespace detail {
inline void boxed_message_node::deliver(process_base& p) { p.on_message(std::move(m)); }

// Starts a timer that posts `make()` to `to` after `after`.
template <class Make>
timer_ref start_timer(const pid& to, timeout_type after, Make make) {
  if (!to) return {};
  auto state = std::make_shared<timer_state>();
  auto timer = std::make_shared<asio::steady_timer>(to.get()->rt.sched.io_executor(to.get()->io_home));
  state->timer = timer;
  timer->expires_after(after);
  timer->async_wait([timer, state, target = to, make = std::move(make)](const error_code& ec) mutable {
    if (ec) return;
    int expected = 0;
    if (state->state.compare_exchange_strong(expected, 1)) target.get()->post_message(make());
  });
  return timer_ref(std::move(state));
}
}  // namespace detail

/// Sends `msg` to `to` as an info message after `after`, as
/// erlang:send_after/3. Cancel it with `cancel_timer`.
template <class M>
timer_ref send_after(const pid& to, timeout_type after, M msg) {
  return detail::start_timer(to, after, [m = std::move(msg)]() mutable {
    return new detail::boxed_message_node(message(std::move(m)));
  });
}

OTPP_END_NAMESPACE

#endif  // OTPP_PROCESS_HPP
