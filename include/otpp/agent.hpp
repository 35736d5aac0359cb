// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_AGENT_HPP
#define OTPP_AGENT_HPP

#include <otpp/child_spec.hpp>
#include <otpp/config.hpp>
#include <otpp/gen_server.hpp>

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

OTPP_BEGIN_NAMESPACE

namespace detail {

// The gen_server behind an agent: the state and one request type per
// function type, so that no request allocates beyond its message.
template <class State>
class agent_server : public gen_server<agent_server<State>> {
 public:
  template <class F>
  explicit agent_server(F& init) : state_(init()) {}

  template <class F>
  struct get_msg {
    using reply_type = std::decay_t<std::invoke_result_t<F&, const State&>>;  // a copy, as Agent.get
    F f;
  };
  template <class F>
  struct update_msg {
    using reply_type = void;
    F f;
  };
  template <class F>
  struct get_and_update_msg {
    using reply_type = typename std::invoke_result_t<F&, State&&>::first_type;
    F f;
  };
  template <class F>
  struct cast_msg {
    F f;
  };

  template <class F>
  typename get_msg<F>::reply_type handle_call(get_msg<F> m) {
    return m.f(std::as_const(state_));
  }
  template <class F>
  void handle_call(update_msg<F> m) {
    state_ = m.f(std::move(state_));
  }
  template <class F>
  auto handle_call(get_and_update_msg<F> m) {
    auto [reply, next] = m.f(std::move(state_));
    state_ = std::move(next);
    return std::move(reply);
  }
  template <class F>
  void handle_cast(cast_msg<F> m) {
    state_ = m.f(std::move(state_));
  }

 private:
  State state_;
};

}  // namespace detail

/// A state held in its own process, as Elixir's Agent: every function given
/// to it runs inside that process, one at a time. Copyable; refers to the
/// process by pid or by name. Calls throw `call_error` as `otpp::call` does
/// (`errc::noproc` once the agent is gone, `errc::timeout`, `errc::exited`
/// if a function threw: the agent then exits with that exception as reason).
///
/// ```
/// auto counter = otpp::start_agent(rt, [] { return 0; });
/// counter.update([](int n) { return n + 1; });
/// int n = counter.get([](const int& n) { return n; });
/// ```
template <class State>
class agent {
  using server = detail::agent_server<State>;

 public:
  /// An empty reference.
  agent() = default;
  /// Refers to the agent `p`; throws `system_error` (`errc::wrong_type`) if
  /// it is not an agent of `State`.
  explicit agent(otpp::pid p) : ref_(std::move(p)) {}
  /// Refers to whichever agent of `State` has the local name `n` in `rt`.
  agent(runtime& rt, name n) : ref_(rt, std::move(n)) {}
  /// Internal.
  explicit agent(server_ref<server> ref) : ref_(std::move(ref)) {}

  /// The agent's process now; empty if none.
  otpp::pid pid() const { return ref_.pid(); }
  /// True unless empty.
  explicit operator bool() const noexcept { return static_cast<bool>(ref_); }

  /// Returns a copy of `f(state)`, as Agent.get/3. `f` takes `const State&`.
  template <class F>
  std::decay_t<std::invoke_result_t<F&, const State&>> get(F f, timeout_type timeout = default_timeout) const {
    return call(ref_, typename server::template get_msg<F>{std::move(f)}, timeout);
  }

  /// Replaces the state with `f(std::move(state))` and waits until done, as Agent.update/3.
  template <class F>
  void update(F f, timeout_type timeout = default_timeout) const {
    static_assert(std::is_convertible_v<std::invoke_result_t<F&, State&&>, State>,
                  "agent::update(f): f(State) must return the new State");
    call(ref_, typename server::template update_msg<F>{std::move(f)}, timeout);
  }

  /// `f(std::move(state))` returns `{reply, new_state}`: keeps the new state
  /// and returns the reply, as Agent.get_and_update/3.
  template <class F>
  auto get_and_update(F f, timeout_type timeout = default_timeout) const {
    static_assert(std::is_convertible_v<typename std::invoke_result_t<F&, State&&>::second_type, State>,
                  "agent::get_and_update(f): f(State) must return std::pair<Reply, State>");
    return call(ref_, typename server::template get_and_update_msg<F>{std::move(f)}, timeout);
  }

  /// Replaces the state with `f(std::move(state))` without waiting, as
  /// Agent.cast/2. Never fails.
  template <class F>
  void cast(F f) const {
    static_assert(std::is_convertible_v<std::invoke_result_t<F&, State&&>, State>,
                  "agent::cast(f): f(State) must return the new State");
    otpp::cast(ref_, typename server::template cast_msg<F>{std::move(f)});
  }

  /// Stops the agent, as Agent.stop/3; errors as `otpp::stop`.
  void stop(exit_reason reason = normal, timeout_type timeout = infinity) const {
    otpp::stop(ref_, std::move(reason), timeout);
  }

 private:
  server_ref<server> ref_;
};

/// Starts an agent whose state is `init()`, run inside the new process, as
/// Agent.start/2. Throws `start_error` (`errc::init_failed`) if `init` throws.
template <class F>
agent<std::invoke_result_t<F&>> start_agent(runtime& rt, F init) {
  return agent<std::invoke_result_t<F&>>(start<detail::agent_server<std::invoke_result_t<F&>>>(rt, init));
}

/// As `start_agent`, registered under the local name `n` (`errc::already_started` if taken).
template <class F>
agent<std::invoke_result_t<F&>> start_agent(runtime& rt, name n, F init) {
  return agent<std::invoke_result_t<F&>>(
      start<detail::agent_server<std::invoke_result_t<F&>>>(rt, std::move(n), init));
}

/// As `start_agent`, linked to the calling process, as Agent.start_link/2.
/// Throws `system_error` (`errc::not_in_process`) outside a process.
template <class F>
agent<std::invoke_result_t<F&>> start_link_agent(F init) {
  return agent<std::invoke_result_t<F&>>(start_link<detail::agent_server<std::invoke_result_t<F&>>>(init));
}

/// As `start_link_agent`, registered under the local name `n`.
template <class F>
agent<std::invoke_result_t<F&>> start_link_agent(name n, F init) {
  return agent<std::invoke_result_t<F&>>(
      start_link<detail::agent_server<std::invoke_result_t<F&>>>(std::move(n), init));
}

/// The child spec of an agent with id `id` whose state starts as `init()`
/// (and, if given, registered under `n`), to put it under a supervisor.
template <class F>
child_spec agent_child_spec(std::string id, F init, std::optional<name> n = std::nullopt) {
  child_spec s;
  s.id = std::move(id);
  s.start = [init, n]() -> pid { return n ? start_link_agent(*n, init).pid() : start_link_agent(init).pid(); };
  return s;
}

OTPP_END_NAMESPACE

#endif  // OTPP_AGENT_HPP
