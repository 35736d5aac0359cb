// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_SUPERVISOR_HPP
#define OTPP_SUPERVISOR_HPP

#include <otpp/child_spec.hpp>
#include <otpp/config.hpp>
#include <otpp/detail/supervisor_server.hpp>
#include <otpp/gen_server.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

OTPP_BEGIN_NAMESPACE

// The functions below are templates (`template <int = 0>`, nothing to
// deduce) only so that a program compiles the supervisor's code where it
// calls them, not in every unit that includes otpp/otpp.hpp.

/// A reference to a supervisor (any supervisor, by pid or by name), for
/// `start_child`, `which_children` and the rest. `otpp::stop(ref)` stops it
/// and its children, as Supervisor.stop/3.
using supervisor_ref = server_ref<detail::supervisor_server>;

/// The base of a supervisor callback module, through CRTP, as Erlang's
/// `-behaviour(supervisor)`. The module's `init()` returns the flags and the
/// child specs; `start<Impl>(rt, args...)` or `start_link<Impl>(args...)`
/// constructs `Impl(args...)` inside the new supervisor and calls it:
///
/// ```
/// struct app_sup : otpp::supervisor<app_sup> {
///   otpp::supervisor_spec init() {
///     return {{.strategy = otpp::one_for_all},
///             {otpp::child_spec_for<cache>(), otpp::child_spec_for<worker>(42)}};
///   }
/// };
/// auto sup = otpp::start<app_sup>(rt);
/// ```
///
/// The module object lives only for `init`; the supervisor keeps nothing else of it.
template <class Impl>
class supervisor {
 protected:
  supervisor() = default;
};

namespace detail {
template <class Impl, class... Args>
supervisor_ref start_supervisor_module(runtime_core& rt, std::string reg_name, bool linked, Args&&... args) {
  static_assert(requires(Impl& i) { { i.init() } -> std::convertible_to<supervisor_spec>; },
                "a supervisor module needs `otpp::supervisor_spec init()`");
  auto make = [&]() -> supervisor_spec {
    Impl impl(std::forward<Args>(args)...);
    return impl.init();
  };
  return start_server<supervisor_server>(rt, std::move(reg_name), linked, make, demangle(typeid(Impl).name()));
}
}  // namespace detail

/// Starts the supervisor module `Impl`, as supervisor:start_link/2 without
/// the link (its children are started, in order, before this returns).
/// Throws `start_error` with `errc::init_failed` if a child failed to start
/// (reason `{shutdown,{failed_to_start_child,Id,Reason}}`; the children
/// started before it are stopped first) or the spec is invalid.
template <class Impl, class... Args>
  requires detail::supervisor_module<Impl>
supervisor_ref start(runtime& rt, Args&&... args) {
  return detail::start_supervisor_module<Impl>(rt.core(), {}, false, std::forward<Args>(args)...);
}

/// As `start`, registered under the local name `n` (`errc::already_started` if taken).
template <class Impl, class... Args>
  requires detail::supervisor_module<Impl>
supervisor_ref start(runtime& rt, name n, Args&&... args) {
  return detail::start_supervisor_module<Impl>(rt.core(), std::move(n.value), false, std::forward<Args>(args)...);
}

/// Starts the supervisor module `Impl` linked to the calling process, as
/// supervisor:start_link/2: use it in a child spec to nest supervisors.
/// Throws `system_error` (`errc::not_in_process`) outside a process, else as `start`.
template <class Impl, class... Args>
  requires detail::supervisor_module<Impl>
supervisor_ref start_link(Args&&... args) {
  auto& parent = detail::require_process("start_link");
  return detail::start_supervisor_module<Impl>(parent.rt, {}, true, std::forward<Args>(args)...);
}

/// As `start_link`, registered under the local name `n`.
template <class Impl, class... Args>
  requires detail::supervisor_module<Impl>
supervisor_ref start_link(name n, Args&&... args) {
  auto& parent = detail::require_process("start_link");
  return detail::start_supervisor_module<Impl>(parent.rt, std::move(n.value), true, std::forward<Args>(args)...);
}

/// Starts a supervisor over `spec.children`, as Elixir's
/// `Supervisor.start_link(children, strategy: ...)` without the link.
/// Errors as `start<Impl>`.
template <int = 0>
supervisor_ref start_supervisor(runtime& rt, supervisor_spec spec) {
  return detail::start_server<detail::supervisor_server>(
      rt.core(), {}, false, [&] { return std::move(spec); }, std::string("supervisor"));
}

/// As `start_supervisor`, registered under the local name `n`.
template <int = 0>
supervisor_ref start_supervisor(runtime& rt, name n, supervisor_spec spec) {
  return detail::start_server<detail::supervisor_server>(
      rt.core(), std::move(n.value), false, [&] { return std::move(spec); }, std::string("supervisor"));
}

/// As `start_supervisor`, linked to the calling process (for a child spec's
/// start function). Throws `system_error` (`errc::not_in_process`) outside a process.
template <int = 0>
supervisor_ref start_link_supervisor(supervisor_spec spec) {
  auto& parent = detail::require_process("start_link_supervisor");
  return detail::start_server<detail::supervisor_server>(
      parent.rt, {}, true, [&] { return std::move(spec); }, std::string("supervisor"));
}

/// The default child spec of `Impl` started with `args`, as Elixir's
/// `use GenServer` child_spec/1: id = the type's name, start =
/// `start_link<Impl>(args...)`, permanent, and type supervisor for a
/// supervisor module. A leading `otpp::name` argument registers the child.
template <class Impl, class... Args>
child_spec default_child_spec(Args... args) {
  child_spec s;
  s.id = detail::demangle(typeid(Impl).name());
  s.start = [args...]() -> pid { return start_link<Impl>(args...).pid(); };
  if constexpr (detail::supervisor_module<Impl>) s.type = child_type::supervisor;
  return s;
}

/// The child spec of `Impl` started with `args`: `Impl::child_spec(args...)`
/// if the type defines it (as an Elixir module overrides child_spec/1),
/// else `default_child_spec<Impl>(args...)`.
template <class Impl, class... Args>
child_spec child_spec_for(Args... args) {
  if constexpr (requires { { Impl::child_spec(args...) } -> std::convertible_to<child_spec>; })
    return Impl::child_spec(std::move(args)...);
  else
    return default_child_spec<Impl>(std::move(args)...);
}

/// The child spec of a ready-made supervisor over `spec`, with id `id`.
template <int = 0>
child_spec supervisor_child_spec(std::string id, supervisor_spec spec) {
  child_spec s;
  s.id = std::move(id);
  s.start = [spec = std::move(spec)]() -> pid { return start_link_supervisor(spec).pid(); };
  s.type = child_type::supervisor;
  return s;
}

/// Adds a child to the supervisor and starts it, as supervisor:start_child/2.
/// Returns its pid, or an empty pid if its start returned `ignore` (a
/// non-temporary spec is then kept, not running). Throws `start_error`:
/// `errc::already_started` (the id is running; `holder()` is its pid),
/// `errc::already_present` (the id is kept but not running),
/// `errc::init_failed` (the start threw; `reason()` says why),
/// `errc::invalid_child_spec`; or `call_error` if the supervisor is not there.
template <int = 0>
pid start_child(const supervisor_ref& sup, child_spec spec) {
  return detail::start_or_throw(call(sup, detail::start_child_msg{std::move(spec)}, infinity));
}

/// Stops the child `id` by its shutdown spec, as supervisor:terminate_child/2;
/// its spec is kept (unless temporary) for `restart_child`. Throws
/// `call_error` with `errc::not_found`.
template <int = 0>
void terminate_child(const supervisor_ref& sup, std::string_view id) {
  detail::throw_if(call(sup, detail::terminate_child_msg{std::string(id)}, infinity));
}

/// Starts the stopped child `id` again, as supervisor:restart_child/2, and
/// returns its pid (empty if its start returned `ignore`). Throws
/// `start_error`: `errc::not_found`, `errc::running`, `errc::restarting`, `errc::init_failed`.
template <int = 0>
pid restart_child(const supervisor_ref& sup, std::string_view id) {
  return detail::start_or_throw(call(sup, detail::restart_child_msg{std::string(id)}, infinity));
}

/// Forgets the stopped child `id`, as supervisor:delete_child/2. Throws
/// `call_error`: `errc::not_found`, `errc::running`, `errc::restarting`.
template <int = 0>
void delete_child(const supervisor_ref& sup, std::string_view id) {
  detail::throw_if(call(sup, detail::delete_child_msg{std::string(id)}, infinity));
}

/// The supervisor's children, newest first, as supervisor:which_children/1.
template <int = 0>
std::vector<child_info> which_children(const supervisor_ref& sup) {
  return call(sup, detail::which_children_msg{}, infinity);
}

/// The supervisor's children counted, as supervisor:count_children/1.
template <int = 0>
child_counts count_children(const supervisor_ref& sup) {
  return call(sup, detail::count_children_msg{}, infinity);
}

OTPP_END_NAMESPACE

#endif  // OTPP_SUPERVISOR_HPP
