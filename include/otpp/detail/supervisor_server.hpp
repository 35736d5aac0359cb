// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_SUPERVISOR_SERVER_HPP
#define OTPP_DETAIL_SUPERVISOR_SERVER_HPP

// The gen_server behind every otpp::supervisor, following OTP's
// supervisor.erl: children kept in start order, restarts by strategy,
// restart intensity, orderly shutdown in reverse start order.

#include <otpp/config.hpp>
#include <otpp/detail/supervision.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

OTPP_BEGIN_NAMESPACE
namespace detail {

// Requests (all calls but the retry, which the supervisor casts to itself).
struct start_child_msg {
  using reply_type = start_outcome;
  child_spec spec;
};
struct terminate_child_msg {
  using reply_type = error_code;
  std::string id;
};
struct restart_child_msg {
  using reply_type = start_outcome;
  std::string id;
};
struct delete_child_msg {
  using reply_type = error_code;
  std::string id;
};
struct try_again_restart {
  std::string id;
};

// A class template only so that its code is compiled where a program uses
// it (see supervisor.hpp); `supervisor_server` names the one specialisation.
template <class Unused = void>
class basic_supervisor_server : public gen_server<basic_supervisor_server<Unused>> {
  using base = gen_server<basic_supervisor_server<Unused>>;
  using base::continue_with;
  using base::self;
  using base::trap_exit;

 public:
  // `make_spec` runs the callback module's init inside the new process.
  basic_supervisor_server(std::function<supervisor_spec()> make_spec, std::string module)
      : make_spec_(std::move(make_spec)), module_(std::move(module)), intensity_(0, std::chrono::seconds(1)) {}

  init_result init() {
    trap_exit();
    supervisor_spec spec = std::exchange(make_spec_, nullptr)();
    if (spec.flags.max_restarts < 0 || spec.flags.max_seconds.count() <= 0)
      return stop(exit_reason::error("{invalid_child_spec,bad supervisor flags}"));
    flags_ = spec.flags;
    intensity_ = restart_intensity(flags_.max_restarts, flags_.max_seconds);
    for (auto& s : spec.children) {
      if (check_child_spec(s, true) || find(s.id) != children_.end())
        return stop(exit_reason::error(fmt::format("{{invalid_child_spec,{}}}", s.id)));
      children_.push_back({std::move(s), {}, false});
    }
    for (auto it = children_.begin(); it != children_.end();) {
      start_outcome o = start_child_process(it->spec);
      if (o.error) {
        report("start_error", it->spec.id, o.reason);
        // As OTP: stop what was started, newest first, and fail the start.
        for (auto r = std::make_reverse_iterator(it); r != children_.rend(); ++r)
          if (r->child) shutdown_child_now(r->child, r->spec.effective_shutdown());
        return stop(exit_reason::shutdown_with(
            fmt::format("{{failed_to_start_child,{},{}}}", it->spec.id, reason_text(o.reason))));
      }
      if (!o.child && it->spec.restart == temporary) {
        it = children_.erase(it);
        continue;
      }
      it->child = std::move(o.child);
      ++it;
    }
    return ok();
  }

  start_outcome handle_call(start_child_msg m) {
    start_outcome out;
    if ((out.error = check_child_spec(m.spec, true))) return out;
    if (auto it = find(m.spec.id); it != children_.end()) {
      out.error = make_error_code(it->child ? errc::already_started : errc::already_present);
      out.holder = it->child;
      return out;
    }
    out = start_child_process(m.spec);
    if (out.error || (!out.child && m.spec.restart == temporary)) return out;
    children_.push_back({std::move(m.spec), out.child, false});
    return out;
  }

  awaitable<error_code> handle_call(terminate_child_msg m) {
    auto it = find(m.id);
    if (it == children_.end()) co_return make_error_code(errc::not_found);
    if (it->child) co_await stop_child(*it);
    it->restarting = false;  // as OTP: no more retries
    forget_if_temporary(it);
    co_return error_code();
  }

  start_outcome handle_call(restart_child_msg m) {
    start_outcome out;
    auto it = find(m.id);
    if (it == children_.end()) out.error = make_error_code(errc::not_found);
    else if (it->restarting) out.error = make_error_code(errc::restarting);
    else if (it->child) out.error = make_error_code(errc::running);
    if (out.error) return out;
    out = start_child_process(it->spec);
    if (!out.error) it->child = out.child;
    return out;
  }

  error_code handle_call(delete_child_msg m) {
    auto it = find(m.id);
    if (it == children_.end()) return make_error_code(errc::not_found);
    if (it->restarting) return make_error_code(errc::restarting);
    if (it->child) return make_error_code(errc::running);
    children_.erase(it);
    return {};
  }

  // Newest first, as OTP lists them.
  std::vector<child_info> handle_call(which_children_msg) {
    std::vector<child_info> out;
    out.reserve(children_.size());
    for (auto it = children_.rbegin(); it != children_.rend(); ++it)
      out.push_back({it->spec.id, it->child, it->spec.type, it->restarting});
    return out;
  }

  child_counts handle_call(count_children_msg) {
    child_counts c;
    for (auto& ch : children_) {
      ++c.specs;
      if (is_alive(ch.child)) ++c.active;
      if (ch.spec.type == child_type::supervisor) ++c.supervisors;
      else ++c.workers;
    }
    return c;
  }

  // A child exited (or a stranger linked to us did; that is ignored).
  awaitable<cast_result> handle_info(exit_signal e) {
    auto it = std::find_if(children_.begin(), children_.end(), [&](const child& c) { return c.child == e.from; });
    if (it == children_.end()) co_return noreply();
    it->child = {};
    const restart_type rt = it->spec.restart;
    const bool restart = rt == permanent || (rt == transient && e.reason.is_abnormal());
    if (rt == permanent || e.reason.is_abnormal()) report("child_terminated", it->spec.id, e.reason);
    if (!restart) {
      forget_if_temporary(it);
      co_return noreply();
    }
    co_return co_await restart_child(it->spec.id);
  }

  // A restart that failed is tried again after the messages that came meanwhile.
  awaitable<cast_result> handle_cast(try_again_restart m) {
    auto it = find(m.id);
    if (it == children_.end() || !it->restarting) co_return noreply();
    co_return co_await restart_child(m.id);
  }

  // Stops every child, newest first, as the supervisor exits.
  awaitable<void> terminate(const exit_reason&) {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it)
      if (it->child) co_await stop_child(*it);
    children_.clear();
  }

 private:
  struct child {
    child_spec spec;
    pid child;
    bool restarting = false;
  };
  using iterator = typename std::vector<child>::iterator;

  iterator find(const std::string& id) {
    return std::find_if(children_.begin(), children_.end(), [&](const child& c) { return c.spec.id == id; });
  }

  void forget_if_temporary(iterator it) {
    if (it->spec.restart == temporary) children_.erase(it);
  }

  // `c` stays put meanwhile: the supervisor takes no message while suspended.
  awaitable<void> stop_child(child& c) {
    exit_reason r = co_await shutdown_child(std::exchange(c.child, {}), c.spec.effective_shutdown());
    if (!expected_shutdown_reason(c.spec, r)) report("shutdown_error", c.spec.id, r);
  }

  // Restarts child `id` by the strategy, after counting the restart.
  awaitable<cast_result> restart_child(std::string id) {
    if (!intensity_.add()) {
      report("shutdown", id, exit_reason::error("reached_max_restart_intensity"));
      if (auto it = find(id); it != children_.end()) {
        it->restarting = false;
        forget_if_temporary(it);
      }
      co_return stop(shutdown);
    }
    auto it = find(id);
    if (it == children_.end()) co_return noreply();
    const auto first = static_cast<std::size_t>(it - children_.begin());
    std::size_t from = first, to = first + 1;  // the children to restart: [from, to)
    if (flags_.strategy == strategy::one_for_all) from = 0, to = children_.size();
    if (flags_.strategy == strategy::rest_for_one) to = children_.size();
    // Stop the others in the range, newest first; temporary ones are not restarted.
    for (std::size_t i = to; i-- > from;) {
      if (i == first || !children_[i].child) continue;
      co_await stop_child(children_[i]);
    }
    std::vector<std::string> ids;
    for (std::size_t i = from; i < to; ++i) ids.push_back(children_[i].spec.id);
    for (std::size_t i = to; i-- > from;)
      if (i != first && children_[i].spec.restart == temporary) children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    // Start them again, in start order.
    for (auto& cid : ids) {
      auto c = find(cid);
      if (c == children_.end()) continue;
      start_outcome o = start_child_process(c->spec);
      if (o.error) {
        report("start_error", cid, o.reason);
        c->restarting = true;
        cast(supervisor_ref_self(), try_again_restart{cid});
        co_return noreply();
      }
      c->restarting = false;
      if (!o.child && c->spec.restart == temporary) {
        children_.erase(c);
        continue;
      }
      c->child = std::move(o.child);
    }
    co_return noreply();
  }

  server_ref<basic_supervisor_server> supervisor_ref_self() const {
    return server_ref<basic_supervisor_server>(self());
  }

  void report(const char* what, const std::string& id, const exit_reason& reason) {
    if (!logging_here()) return;
    log_from_here(log_level::error, fmt::format("supervisor {} ({}) {}: child {} reason {}", pid_text(self()), module_,
                                                what, id, reason_text(reason)));
  }

  std::function<supervisor_spec()> make_spec_;
  std::string module_;
  supervisor_flags flags_;
  restart_intensity intensity_;
  std::vector<child> children_;  // start order
};

using supervisor_server = basic_supervisor_server<>;

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_SUPERVISOR_SERVER_HPP
