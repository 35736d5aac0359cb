// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_REPLY_SLOT_HPP
#define OTPP_DETAIL_REPLY_SLOT_HPP

#include <otpp/config.hpp>
#include <otpp/detail/node_pool.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <time.h>
#include <optional>
#include <utility>

OTPP_BEGIN_NAMESPACE
namespace detail {

// What waits for a reply: refcounted and completed exactly once, by the reply,
// a timeout, a cancellation, or the server's exit, whichever comes first.
struct reply_slot : pooled {
  std::atomic<std::uint32_t> refs{1};
  std::atomic<bool> completed{false};
  reply_slot* next_owed = nullptr;  // non-null while in a process's owed_replies

  virtual ~reply_slot() = default;
  // Completes with `code` (and `reason` for errc::exited) if still pending.
  virtual void fail(error_code code, const exit_reason& reason) = 0;
  // The process that was to answer exited with `reason`.
  virtual void owner_exited(const exit_reason& reason) { fail(make_error_code(errc::exited), reason); }

  bool try_claim() noexcept {
    bool expected = false;
    return completed.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
  }
  bool done() const noexcept { return completed.load(std::memory_order_acquire); }

  friend void intrusive_ptr_add_ref(reply_slot* s) noexcept {
    s->refs.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(reply_slot* s) noexcept {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
  }
};
using reply_slot_ptr = boost::intrusive_ptr<reply_slot>;

// The replies a process owes: deferred calls, exit watches, a task's result.
// Each learns the exit reason if the process exits first. An intrusive list
// (a slot is owed by one process at most), so that a process owing one
// reply, as every task does, allocates nothing for it. Owner's context only.
class owed_replies {
 public:
  owed_replies() = default;
  owed_replies(const owed_replies&) = delete;
  owed_replies& operator=(const owed_replies&) = delete;
  ~owed_replies() { clear(); }

  // Adds `s`, holding a reference, unless it is owed already (a call that is
  // deferred and then stopped on is pushed twice). Every so often drops the
  // ones already answered, so that a server deferring many calls does not
  // grow without end.
  void push(reply_slot* s) noexcept {
    if (s->next_owed) return;
    if (count_ >= 64 && (count_ & (count_ - 1)) == 0) remove_if([](reply_slot& r) { return r.done(); });
    intrusive_ptr_add_ref(s);
    s->next_owed = head_;
    head_ = s;
    ++count_;
  }
  void remove(reply_slot* s) noexcept {
    remove_if([s](reply_slot& r) { return &r == s; });
  }
  // Tells each, oldest first, that the owner exited with `reason`, and empties the list.
  void owner_exited(const exit_reason& reason) {
    reply_slot* oldest_first = end();
    for (reply_slot* s = std::exchange(head_, end()); s != end();) {
      reply_slot* next = s->next_owed;
      s->next_owed = oldest_first;
      oldest_first = s;
      s = next;
    }
    count_ = 0;
    while (oldest_first != end()) {
      reply_slot* s = oldest_first;
      oldest_first = s->next_owed;
      s->next_owed = nullptr;
      s->owner_exited(reason);
      intrusive_ptr_release(s);
    }
  }
  void clear() noexcept {
    remove_if([](reply_slot&) { return true; });
  }

 private:
  // Ends the list, so that a slot in one has a non-null `next_owed`.
  static reply_slot* end() noexcept { return reinterpret_cast<reply_slot*>(std::uintptr_t{1}); }

  template <class Pred>
  void remove_if(Pred pred) noexcept {
    reply_slot** link = &head_;
    while (*link != end()) {
      reply_slot* s = *link;
      if (pred(*s)) {
        *link = s->next_owed;
        s->next_owed = nullptr;
        --count_;
        intrusive_ptr_release(s);
      } else {
        link = &s->next_owed;
      }
    }
  }

  reply_slot* head_ = end();  // newest first
  std::size_t count_ = 0;
};

// The deadline `after` from now. Long timeouts (the default 5 s) read the
// coarse monotonic clock, which is several times cheaper than the precise
// one and off by a few milliseconds at most: noise against a second.
inline std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds after) {
  using clock = std::chrono::steady_clock;
  if (after == std::chrono::milliseconds::max()) return clock::time_point::max();
#if defined(CLOCK_MONOTONIC_COARSE) && defined(__GLIBCXX__)
  // libstdc++'s steady_clock is CLOCK_MONOTONIC, which the coarse clock follows.
  if (after >= std::chrono::seconds(1)) {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)) +
           after;
  }
#endif
  return clock::now() + after;
}

// An entry in a timeout queue: a pending asynchronous call with a deadline.
struct timed_entry {
  timed_entry* prev = nullptr;
  timed_entry* next = nullptr;
  std::chrono::steady_clock::time_point deadline;
  bool linked = false;
  virtual reply_slot& slot() noexcept = 0;

 protected:
  ~timed_entry() = default;
};

// Deadlines of asynchronous calls on one worker, behind one Asio timer. The
// timer is re-armed only when a deadline earlier than the armed one arrives,
// so a stream of calls with the default 5 s timeout costs a list insert and
// unlink each, not a timer-queue operation.
class timeout_queue {
 public:
  // The timer is made on first use: until then the io_context has no timer,
  // and an idle worker waits on a condition variable, which is cheaper to
  // wake than its reactor.
  explicit timeout_queue(asio::any_io_executor ex) : executor_(std::move(ex)) {}

  // Destroys the timer (before its io_context goes); entries can still be
  // removed, none expires any more.
  void close() noexcept {
    std::lock_guard lock(mutex_);
    closed_ = true;
    timer_.reset();
  }

  void add(timed_entry& e) {
    intrusive_ptr_add_ref(&e.slot());
    std::lock_guard lock(mutex_);
    e.prev = nullptr;
    e.next = head_;
    if (head_) head_->prev = &e;
    head_ = &e;
    e.linked = true;
    if (e.deadline < armed_) arm(e.deadline);
  }

  void remove(timed_entry& e) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (!e.linked) return;
      unlink(e);
    }
    intrusive_ptr_release(&e.slot());
  }

 private:
  void unlink(timed_entry& e) noexcept {
    if (e.prev) e.prev->next = e.next; else head_ = e.next;
    if (e.next) e.next->prev = e.prev;
    e.prev = e.next = nullptr;
    e.linked = false;
  }

  void arm(std::chrono::steady_clock::time_point at) {
    if (closed_) return;
    if (!timer_) timer_.emplace(executor_);
    armed_ = at;
    timer_->expires_at(at);
    timer_->async_wait([this, at](const error_code& ec) {
      if (ec != asio::error::operation_aborted) expire(at);
    });
  }

  void expire(std::chrono::steady_clock::time_point fired_for) {
    timed_entry* due = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (fired_for != armed_) return;  // re-armed meanwhile
      const auto now = std::chrono::steady_clock::now();
      auto earliest = std::chrono::steady_clock::time_point::max();
      for (timed_entry* e = head_; e;) {
        timed_entry* n = e->next;
        if (e->deadline <= now) {
          unlink(*e);
          e->next = due;
          due = e;
        } else if (e->deadline < earliest) {
          earliest = e->deadline;
        }
        e = n;
      }
      armed_ = std::chrono::steady_clock::time_point::max();
      if (earliest != std::chrono::steady_clock::time_point::max()) arm(earliest);
    }
    while (due) {
      timed_entry* n = due->next;
      reply_slot& s = due->slot();
      s.fail(make_error_code(errc::timeout), {});
      intrusive_ptr_release(&s);
      due = n;
    }
  }

  std::mutex mutex_;
  timed_entry* head_ = nullptr;
  std::chrono::steady_clock::time_point armed_ = std::chrono::steady_clock::time_point::max();
  asio::any_io_executor executor_;
  bool closed_ = false;
  std::optional<asio::steady_timer> timer_;
};

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_REPLY_SLOT_HPP
