// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_EXIT_WATCH_HPP
#define OTPP_DETAIL_EXIT_WATCH_HPP

// Stopping a process and waiting for it to be gone, as a supervisor does
// with a monitor and a selective receive of its 'DOWN'. Here the exit is
// reported straight to a reply slot, so a coroutine that waits for it is
// resumed even though its process takes no messages meanwhile.

#include <otpp/config.hpp>
#include <otpp/detail/call_state.hpp>
#include <otpp/detail/process_base.hpp>
#include <otpp/process.hpp>

#include <boost/asio/async_result.hpp>

#include <optional>

OTPP_BEGIN_NAMESPACE
namespace detail {

// Asks a process to report its exit to `slot` (as `owner_exited`).
struct exit_watch_node final : inbox_node {
  reply_slot_ptr slot;
  explicit exit_watch_node(reply_slot_ptr s) : inbox_node(true), slot(std::move(s)) {}
  void deliver(process_base& p) override {
    if (p.exited) slot->owner_exited(p.reason);
    else p.owed.push(slot.get());
  }
  void discard(process_base&, const exit_reason& why) noexcept override { slot->owner_exited(why); }
};

// Watches `target`'s exit; a target already gone reports `noproc`.
inline void watch_exit(const pid& target, reply_slot_ptr slot) {
  if (!target || !target.get()->post(new exit_watch_node(slot))) slot->owner_exited(noproc);
}

// Sends `signal` (if any) to `target` from the calling process and
// completes with the target's exit reason once it has exited (`noproc` if
// it was gone already), or with `errc::timeout` after `timeout`.
// Signature: void(std::exception_ptr, exit_report).
template <class Token>
auto async_exit_and_wait(pid target, std::optional<exit_reason> signal, timeout_type timeout, Token&& token) {
  return asio::async_initiate<Token, void(std::exception_ptr, exit_report)>(
      [](auto handler, pid target, std::optional<exit_reason> signal, timeout_type timeout) {
        using H = decltype(handler);
        runtime_core& core = target.get()->rt;
        auto* op = new async_call_op<exit_report, H>(std::move(handler), basic_executor(&core, nullptr));
        reply_slot_ptr own(op, false);
        op->start(core, timeout);
        watch_exit(target, own);
        if (signal) otpp::exit(target, std::move(*signal));
      },
      token, std::move(target), std::move(signal), timeout);
}

// As async_exit_and_wait, blocking the caller (for code that cannot
// suspend). Returns the exit reason, or nothing on timeout.
inline std::optional<exit_reason> exit_and_wait(const pid& target, exit_reason signal, timeout_type timeout) {
  runtime_core& core = target.get()->rt;
  boost::intrusive_ptr<sync_call_state<exit_report>> st(new sync_call_state<exit_report>(core.sched), false);
  watch_exit(target, st);
  otpp::exit(target, std::move(signal));
  st->wait(deadline_after(timeout));
  if (st->error) return std::nullopt;
  return std::move(st->value->reason);
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_EXIT_WATCH_HPP
