// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_SUPERVISION_HPP
#define OTPP_DETAIL_SUPERVISION_HPP

// What supervisor and dynamic_supervisor share: starting a child, stopping
// one as OTP's supervisor:shutdown/1 does, and counting restarts.

#include <otpp/child_spec.hpp>
#include <otpp/config.hpp>
#include <otpp/detail/exit_watch.hpp>
#include <otpp/gen_server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

OTPP_BEGIN_NAMESPACE
namespace detail {

// The answer to a request that starts a child.
struct start_outcome {
  pid child;          // empty for ignore, or on error
  error_code error;   // empty on success
  exit_reason reason;  // why the start failed (init_failed)
  pid holder;         // for already_started
};

// Requests both kinds of supervisor answer.
struct which_children_msg {
  using reply_type = std::vector<child_info>;
};
struct count_children_msg {
  using reply_type = child_counts;
};

// Turns a start outcome into the start's return value or its exception.
inline pid start_or_throw(start_outcome o) {
  if (o.error) throw start_error(o.error, std::move(o.reason), std::move(o.holder));
  return std::move(o.child);
}

inline void throw_if(error_code ec) {
  if (ec) throw call_error(ec);
}

inline error_code check_child_spec(const child_spec& s, bool needs_id) {
  if (!s.start || (needs_id && s.id.empty())) return make_error_code(errc::invalid_child_spec);
  return {};
}

// Runs a child's start function in the supervisor's process and links the
// child to it (a start function that already linked costs nothing more).
template <int = 0>  // compiled only where a supervisor is (see supervisor.hpp)
start_outcome start_child_process(const child_spec& spec) {
  start_outcome out;
  try {
    out.child = spec.start();
  } catch (const start_error& e) {
    out.error = e.code();
    out.reason = e.reason();
    out.holder = e.holder();
    if (out.error == make_error_code(errc::already_started))
      out.reason = exit_reason::error("{already_started," + pid_text(out.holder) + "}");
    else
      out.error = make_error_code(errc::init_failed);
    return out;
  } catch (...) {
    out.error = make_error_code(errc::init_failed);
    out.reason = exit_reason::from_exception(std::current_exception());
    return out;
  }
  if (out.child) link(out.child);
  return out;
}

// The exit reasons a stopped child may give without an error report, as
// supervisor:shutdown/1 accepts them.
inline bool expected_shutdown_reason(const child_spec& spec, const exit_reason& r) {
  const bool brutal = spec.effective_shutdown().is_brutal_kill();
  if (brutal && r.what() == exit_reason::kind::killed) return true;
  if (r.what() == exit_reason::kind::noproc) return true;  // it was gone already
  if (r.is_shutdown() && (r.detail().empty() || spec.restart != permanent)) return true;
  return r.is_normal() && spec.restart != permanent;
}

// Restart intensity: at most `max_restarts` restarts within `max_seconds`.
class restart_intensity {
 public:
  restart_intensity(int max_restarts, std::chrono::seconds max_seconds)
      : max_(max_restarts), period_(max_seconds) {}

  // Counts a restart; false if that is one too many, as supervisor's add_restart.
  bool add() {
    const auto now = std::chrono::steady_clock::now();
    while (!times_.empty() && now - times_.front() > period_) times_.pop_front();
    times_.push_back(now);
    return static_cast<int>(times_.size()) <= max_;
  }

 private:
  int max_;
  std::chrono::steady_clock::duration period_;
  std::deque<std::chrono::steady_clock::time_point> times_;
};

// The exit signal that starts a child's shutdown.
inline const exit_reason& shutdown_signal(shutdown_spec how) { return how.is_brutal_kill() ? kill : shutdown; }

// Sends `signal` (if any) to `child` and waits up to `timeout` for it to
// exit; past that, kills it and waits. Returns its exit reason.
// (The token is a template parameter so that these awaits, whose operation
// types are deduced, are compiled only where a supervisor is.)
template <class Awaitable = asio::use_awaitable_t<>>
awaitable<exit_reason> exit_or_kill(pid child, std::optional<exit_reason> signal, timeout_type timeout) {
  auto [e, r] = co_await async_exit_and_wait(child, std::move(signal), timeout, asio::as_tuple(Awaitable{}));
  if (!e) co_return std::move(r.reason);
  auto [e2, r2] = co_await async_exit_and_wait(child, kill, infinity, asio::as_tuple(Awaitable{}));
  co_return std::move(r2.reason);
}

// Waits until `child`, already sent its shutdown signal at `sent`, has
// exited; kills it when its shutdown timeout has passed. Returns its exit reason.
template <int = 0>  // compiled only where a supervisor is (see supervisor.hpp)
awaitable<exit_reason> await_child_exit(pid child, shutdown_spec how, std::chrono::steady_clock::time_point sent) {
  timeout_type left = infinity;
  if (!how.is_brutal_kill() && how.timeout() != infinity)
    left = std::max(timeout_type(0), std::chrono::duration_cast<timeout_type>(
                                         sent + how.timeout() - std::chrono::steady_clock::now()));
  co_return co_await exit_or_kill(std::move(child), std::nullopt, left);
}

// Stops one child as supervisor:shutdown/1 does: unlink, then `kill` for
// brutal_kill, else `shutdown` and `kill` after the child's timeout. The
// exit watch is set before the signal, so the reason is the child's own.
// Returns the child's exit reason.
template <int = 0>  // compiled only where a supervisor is (see supervisor.hpp)
awaitable<exit_reason> shutdown_child(pid child, shutdown_spec how) {
  unlink(child);
  const timeout_type wait = how.is_brutal_kill() ? infinity : how.timeout();
  co_return co_await exit_or_kill(std::move(child), shutdown_signal(how), wait);
}

// As shutdown_child, blocking: for a supervisor whose init failed half-way.
template <int = 0>  // compiled only where a supervisor is (see supervisor.hpp)
exit_reason shutdown_child_now(const pid& child, shutdown_spec how) {
  unlink(child);
  if (!how.is_brutal_kill()) {
    if (auto r = exit_and_wait(child, shutdown, how.timeout())) return std::move(*r);
  }
  return exit_and_wait(child, kill, infinity).value_or(killed);
}

// True if the calling process's runtime has a logger (else skip formatting).
inline bool logging_here() { return current_process && current_process->rt.logging(); }

inline void log_from_here(log_level level, std::string text) {
  if (current_process) current_process->rt.log(level, text);
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_SUPERVISION_HPP
