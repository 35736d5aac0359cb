// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DYNAMIC_SUPERVISOR_HPP
#define OTPP_DYNAMIC_SUPERVISOR_HPP

#include <otpp/child_spec.hpp>
#include <otpp/config.hpp>
#include <otpp/detail/dynamic_supervisor_server.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/supervisor.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

OTPP_BEGIN_NAMESPACE

// The functions below are templates (`template <int = 0>`, nothing to
// deduce) only so that a program compiles the dynamic_supervisor's code where it
// calls them, not in every unit that includes otpp/otpp.hpp.

/// A reference to a dynamic_supervisor, by pid or by name. `otpp::stop(ref)`
/// stops it and its children, as DynamicSupervisor.stop/3.
using dynamic_supervisor_ref = server_ref<detail::dynamic_supervisor_server>;

/// Starts a dynamic_supervisor, as Elixir's DynamicSupervisor.start_link/1
/// without the link (OTP's simple_one_for_one): it starts with no children
/// and restarts each one for one by its restart type, within the restart
/// intensity; past it, it stops its children and exits with `shutdown`.
/// Throws `start_error` (`errc::init_failed`) for flags out of range.
template <int = 0>
dynamic_supervisor_ref start_dynamic_supervisor(runtime& rt, dynamic_supervisor_flags flags = {}) {
  return detail::start_server<detail::dynamic_supervisor_server>(rt.core(), {}, false, flags);
}

/// As `start_dynamic_supervisor`, registered under the local name `n`
/// (`errc::already_started` if taken).
template <int = 0>
dynamic_supervisor_ref start_dynamic_supervisor(runtime& rt, name n, dynamic_supervisor_flags flags = {}) {
  return detail::start_server<detail::dynamic_supervisor_server>(rt.core(), std::move(n.value), false, flags);
}

/// As `start_dynamic_supervisor`, linked to the calling process (for a child
/// spec's start function). Throws `system_error` (`errc::not_in_process`) outside a process.
template <int = 0>
dynamic_supervisor_ref start_link_dynamic_supervisor(dynamic_supervisor_flags flags = {}) {
  auto& parent = detail::require_process("start_link_dynamic_supervisor");
  return detail::start_server<detail::dynamic_supervisor_server>(parent.rt, {}, true, flags);
}

/// As `start_link_dynamic_supervisor`, registered under the local name `n`.
template <int = 0>
dynamic_supervisor_ref start_link_dynamic_supervisor(name n, dynamic_supervisor_flags flags = {}) {
  auto& parent = detail::require_process("start_link_dynamic_supervisor");
  return detail::start_server<detail::dynamic_supervisor_server>(parent.rt, std::move(n.value), true, flags);
}

/// The child spec of a dynamic_supervisor with id `id` (and, if given, the
/// local name `n`), to put it in a supervision tree.
template <int = 0>
child_spec dynamic_supervisor_child_spec(std::string id, dynamic_supervisor_flags flags = {},
                                                std::optional<name> n = std::nullopt) {
  child_spec s;
  s.id = std::move(id);
  s.start = [flags, n]() -> pid {
    return n ? start_link_dynamic_supervisor(*n, flags).pid() : start_link_dynamic_supervisor(flags).pid();
  };
  s.type = child_type::supervisor;
  return s;
}

/// Starts a child under the dynamic_supervisor, as
/// DynamicSupervisor.start_child/2 (the spec's id is not used). Returns its
/// pid, or an empty pid if its start returned `ignore`. Throws `start_error`:
/// `errc::max_children`, `errc::init_failed` (the start threw; `reason()`),
/// `errc::already_started` (its name is taken; `holder()`),
/// `errc::invalid_child_spec` (no start function); or `call_error` if the
/// supervisor is not there.
template <int = 0>
pid start_child(const dynamic_supervisor_ref& sup, child_spec spec) {
  return detail::start_or_throw(call(sup, detail::dyn_start_child_msg{std::move(spec)}, infinity));
}

/// Stops the child `child` by its shutdown spec and forgets it, as
/// DynamicSupervisor.terminate_child/2. Throws `call_error` with
/// `errc::not_found` if it is not a child of this supervisor.
template <int = 0>
void terminate_child(const dynamic_supervisor_ref& sup, const pid& child) {
  detail::throw_if(call(sup, detail::dyn_terminate_child_msg{child}, infinity));
}

/// The supervisor's children (ids are empty; a child whose restart failed
/// shows `restarting`), as DynamicSupervisor.which_children/1.
template <int = 0>
std::vector<child_info> which_children(const dynamic_supervisor_ref& sup) {
  return call(sup, detail::which_children_msg{}, infinity);
}

/// The supervisor's children counted, as DynamicSupervisor.count_children/1.
template <int = 0>
child_counts count_children(const dynamic_supervisor_ref& sup) {
  return call(sup, detail::count_children_msg{}, infinity);
}

OTPP_END_NAMESPACE

#endif  // OTPP_DYNAMIC_SUPERVISOR_HPP
