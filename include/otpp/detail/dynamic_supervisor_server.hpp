// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_DYNAMIC_SUPERVISOR_SERVER_HPP
#define OTPP_DETAIL_DYNAMIC_SUPERVISOR_SERVER_HPP

// The gen_server behind otpp::dynamic_supervisor, following Elixir's
// DynamicSupervisor: children started on demand, kept by pid, restarted
// one for one, stopped all at once when the supervisor exits.

#include <otpp/config.hpp>
#include <otpp/detail/supervision.hpp>

#include <unordered_map>
#include <utility>
#include <vector>

OTPP_BEGIN_NAMESPACE
namespace detail {

struct dyn_start_child_msg {
  using reply_type = start_outcome;
  child_spec spec;
};
struct dyn_terminate_child_msg {
  using reply_type = error_code;
  pid child;
};
struct dyn_try_again_restart {
  pid old;
};

// A class template only so that its code is compiled where a program uses
// it (see supervisor.hpp); `dynamic_supervisor_server` names the one specialisation.
template <class Unused = void>
class basic_dynamic_supervisor_server : public gen_server<basic_dynamic_supervisor_server<Unused>> {
  using base = gen_server<basic_dynamic_supervisor_server<Unused>>;
  using base::continue_with;
  using base::self;
  using base::trap_exit;

 public:
  explicit basic_dynamic_supervisor_server(dynamic_supervisor_flags flags)
      : flags_(flags), intensity_(flags.max_restarts, flags.max_seconds) {}

  init_result init() {
    if (flags_.max_restarts < 0 || flags_.max_seconds.count() <= 0)
      return stop(exit_reason::error("{invalid_child_spec,bad supervisor flags}"));
    trap_exit();
    return ok();
  }

  start_outcome handle_call(dyn_start_child_msg m) {
    start_outcome out;
    if ((out.error = check_child_spec(m.spec, false))) return out;
    if (children_.size() >= flags_.max_children) {
      out.error = make_error_code(errc::max_children);
      return out;
    }
    out = start_child_process(m.spec);
    if (!out.error && out.child) children_.emplace(out.child, child{std::move(m.spec), false});
    return out;
  }

  awaitable<error_code> handle_call(dyn_terminate_child_msg m) {
    auto it = children_.find(m.child);
    if (it == children_.end()) co_return make_error_code(errc::not_found);
    if (it->second.restarting) {  // its last pid, as simple_one_for_one: no more retries
      children_.erase(it);
      co_return error_code();
    }
    const shutdown_spec how = it->second.spec.effective_shutdown();
    exit_reason r = co_await shutdown_child(m.child, how);
    if (!expected_shutdown_reason(it->second.spec, r)) report("shutdown_error", r);
    children_.erase(it);  // no message ran meanwhile: `it` is still valid
    co_return error_code();
  }

  std::vector<child_info> handle_call(which_children_msg) {
    std::vector<child_info> out;
    out.reserve(children_.size());
    for (auto& [p, c] : children_) out.push_back({{}, c.restarting ? pid() : p, c.spec.type, c.restarting});
    return out;
  }

  child_counts handle_call(count_children_msg) {
    child_counts n;
    for (auto& [p, c] : children_) {
      ++n.specs;
      if (!c.restarting && is_alive(p)) ++n.active;
      if (c.spec.type == child_type::supervisor) ++n.supervisors;
      else ++n.workers;
    }
    return n;
  }

  cast_result handle_info(exit_signal e) {
    auto it = children_.find(e.from);
    if (it == children_.end() || it->second.restarting) return noreply();
    const restart_type rt = it->second.spec.restart;
    if (rt == permanent || e.reason.is_abnormal()) report("child_terminated", e.reason);
    if (!(rt == permanent || (rt == transient && e.reason.is_abnormal()))) {
      children_.erase(it);
      return noreply();
    }
    return restart(it);
  }

  cast_result handle_cast(dyn_try_again_restart m) {
    auto it = children_.find(m.old);
    if (it == children_.end() || !it->second.restarting) return noreply();
    return restart(it);
  }

  // All children get their shutdown signal at once, then are waited for.
  awaitable<void> terminate(const exit_reason&) {
    const auto sent = std::chrono::steady_clock::now();
    for (auto& [p, c] : children_) {
      if (c.restarting) continue;
      unlink(p);
      otpp::exit(p, shutdown_signal(c.spec.effective_shutdown()));
    }
    for (auto& [p, c] : children_) {
      if (c.restarting) continue;
      exit_reason r = co_await await_child_exit(p, c.spec.effective_shutdown(), sent);
      if (!expected_shutdown_reason(c.spec, r)) report("shutdown_error", r);
    }
    children_.clear();
  }

 private:
  struct child {
    child_spec spec;
    bool restarting;  // its restart failed; the key is then its old pid
  };
  using map = std::unordered_map<pid, child>;

  cast_result restart(typename map::iterator it) {
    if (!intensity_.add()) {
      report("shutdown", exit_reason::error("reached_max_restart_intensity"));
      children_.erase(it);
      return stop(shutdown);
    }
    child c = std::move(it->second);
    pid old = it->first;
    children_.erase(it);
    start_outcome o = start_child_process(c.spec);
    if (o.error) {
      report("start_error", o.reason);
      c.restarting = true;
      children_.emplace(old, std::move(c));
      cast(server_ref<basic_dynamic_supervisor_server>(self()), dyn_try_again_restart{old});
    } else if (o.child) {
      c.restarting = false;
      children_.emplace(o.child, std::move(c));
    }
    return noreply();
  }

  void report(const char* what, const exit_reason& reason) {
    if (!logging_here()) return;
    log_from_here(log_level::error,
                  fmt::format("dynamic_supervisor {} {}: reason {}", pid_text(self()), what, reason_text(reason)));
  }

  dynamic_supervisor_flags flags_;
  restart_intensity intensity_;
  map children_;
};

using dynamic_supervisor_server = basic_dynamic_supervisor_server<>;

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_DYNAMIC_SUPERVISOR_SERVER_HPP
