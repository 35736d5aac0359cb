// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_CHILD_SPEC_HPP
#define OTPP_CHILD_SPEC_HPP

#include <otpp/config.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <vector>

OTPP_BEGIN_NAMESPACE

/// When a supervisor restarts a child that exited, as OTP's restart():
/// `permanent` always; `transient` only after an abnormal exit (not
/// `normal`, `shutdown` or `{shutdown, Detail}`); `temporary` never (and the
/// child's spec is forgotten once it exits).
enum class restart_type { permanent, transient, temporary };
/// Always restarted.
inline constexpr restart_type permanent = restart_type::permanent;
/// Restarted only after an abnormal exit.
inline constexpr restart_type transient = restart_type::transient;
/// Never restarted.
inline constexpr restart_type temporary = restart_type::temporary;

/// What a child is, as OTP's child_type(): it changes the default shutdown
/// and how `count_children` counts it.
enum class child_type { worker, supervisor };

/// How a supervisor stops a child, as OTP's shutdown(): `otpp::brutal_kill`
/// (exit signal `kill`, at once), a timeout (exit signal `shutdown`, then
/// `kill` if the child has not exited within it), or `otpp::infinity` (wait
/// for as long as the child takes). Durations are `std::chrono`; a
/// default-constructed value means OTP's default: 5000 ms for a worker,
/// infinity for a supervisor.
class shutdown_spec {
 public:
  /// The default for the child's type.
  constexpr shutdown_spec() noexcept = default;
  /// Exit signal `shutdown`, then `kill` after `timeout` (`otpp::infinity`: never).
  template <class Rep, class Period>
  constexpr shutdown_spec(std::chrono::duration<Rep, Period> timeout) noexcept
      : timeout_(timeout == timeout_type::max() ? timeout_type::max()
                                                : std::chrono::duration_cast<timeout_type>(timeout)),
        kind_(kind::timeout) {}

  /// `brutal_kill`: exit signal `kill` at once; `terminate` does not run.
  static constexpr shutdown_spec brutal_kill() noexcept {
    shutdown_spec s;
    s.kind_ = kind::brutal_kill;
    return s;
  }

  /// True for `brutal_kill`.
  constexpr bool is_brutal_kill() const noexcept { return kind_ == kind::brutal_kill; }
  /// True if this is the type's default.
  constexpr bool is_default() const noexcept { return kind_ == kind::unset; }
  /// How long the child may take to stop after `shutdown`; `infinity` for
  /// ever. Meaningless for `brutal_kill`.
  constexpr timeout_type timeout() const noexcept { return timeout_; }

  friend constexpr bool operator==(const shutdown_spec&, const shutdown_spec&) noexcept = default;

 private:
  enum class kind : unsigned char { unset, timeout, brutal_kill };
  timeout_type timeout_{};
  kind kind_ = kind::unset;
};

/// `brutal_kill`: the child is killed at once, as OTP's shutdown `brutal_kill`.
inline constexpr shutdown_spec brutal_kill = shutdown_spec::brutal_kill();

/// Starts a child for a supervisor: called inside the supervisor's process,
/// it starts the child linked to the supervisor (with `start_link`) and
/// returns its pid. An empty pid means `ignore` (the child did not start and
/// that is fine); an exception means the start failed, with the exception as
/// the reason. As the `start` of OTP's child_spec().
using start_function = std::function<pid()>;

/// How a supervisor starts and stops one child, as OTP's child_spec() map.
/// `id` names the child inside its supervisor (unused by a
/// dynamic_supervisor); `start` must be set.
struct child_spec {
  std::string id;                        ///< unique among the supervisor's children
  start_function start;                  ///< starts the child, linked to the caller
  restart_type restart = permanent;      ///< when to restart it
  shutdown_spec shutdown;                ///< how to stop it; default 5000 ms (worker) / infinity (supervisor)
  child_type type = child_type::worker;  ///< worker or supervisor

  /// The shutdown in effect: `shutdown`, or the default for `type`.
  shutdown_spec effective_shutdown() const noexcept {
    if (!shutdown.is_default()) return shutdown;
    return type == child_type::supervisor ? shutdown_spec(infinity) : shutdown_spec(timeout_type(5000));
  }
};

/// One child as `which_children` reports it, as OTP's `{Id, Child, Type, Modules}`.
struct child_info {
  std::string id;           ///< the child's id (empty under a dynamic_supervisor)
  pid child;                ///< its pid; empty if it is not running
  child_type type;          ///< worker or supervisor
  bool restarting = false;  ///< its restart failed and will be tried again
};

/// A supervisor's children counted, as supervisor:count_children/1.
struct child_counts {
  std::size_t specs = 0;        ///< child specs held, running or not
  std::size_t active = 0;       ///< children running
  std::size_t supervisors = 0;  ///< children of type supervisor, running or not
  std::size_t workers = 0;      ///< children of type worker, running or not
};

/// A supervisor's restart strategy, as OTP's strategy().
enum class strategy {
  one_for_one,   ///< restart only the child that exited
  one_for_all,   ///< stop all other children, then restart all
  rest_for_one,  ///< stop the children started after it, then restart it and them
};
/// Restart only the child that exited.
inline constexpr strategy one_for_one = strategy::one_for_one;
/// Stop all other children (reverse start order), then restart all (start order).
inline constexpr strategy one_for_all = strategy::one_for_all;
/// Stop the children started after the one that exited, then restart it and them.
inline constexpr strategy rest_for_one = strategy::rest_for_one;

/// A supervisor's flags, as OTP's sup_flags() map. The defaults, 3 restarts
/// in 5 seconds, are Elixir's Supervisor's (OTP's own map default is 1 in 5).
struct supervisor_flags {
  otpp::strategy strategy = one_for_one;     ///< how a child's exit affects its siblings
  int max_restarts = 3;                      ///< restarts allowed within `max_seconds` (>= 0)
  std::chrono::seconds max_seconds{5};       ///< the intensity window (> 0)
};

/// What a supervisor's `init` returns: its flags and children, in start
/// order, as OTP's `{ok, {SupFlags, [ChildSpec]}}`.
struct supervisor_spec {
  supervisor_flags flags;            ///< strategy and restart intensity
  std::vector<child_spec> children;  ///< started in this order, stopped in reverse
};

/// A dynamic_supervisor's options, as DynamicSupervisor.init/1's: restart
/// intensity (default 3 restarts in 5 s) and `max_children` (default no limit).
struct dynamic_supervisor_flags {
  int max_restarts = 3;                 ///< restarts allowed within `max_seconds` (>= 0)
  std::chrono::seconds max_seconds{5};  ///< the intensity window (> 0)
  std::size_t max_children = std::numeric_limits<std::size_t>::max();  ///< children at most
};

OTPP_END_NAMESPACE

#endif  // OTPP_CHILD_SPEC_HPP
