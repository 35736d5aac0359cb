// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// The scheduler's workers and their loop: included by otpp/detail/scheduler.hpp
// unless OTPP_SEPARATE_COMPILATION is defined, and then compiled once, by
// <otpp/src.hpp>.
#ifndef OTPP_DETAIL_IMPL_SCHEDULER_IPP
#define OTPP_DETAIL_IMPL_SCHEDULER_IPP

#include <otpp/detail/scheduler.hpp>

OTPP_BEGIN_NAMESPACE
namespace detail {

OTPP_DECL scheduler::scheduler(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    auto w = std::make_unique<worker>();
    w->owner = this;
    w->index = i;
    w->guard.emplace(w->ioc.get_executor());
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    worker* wp = w.get();
    wp->thread = std::thread([this, wp] { main_loop(*wp); });
  }
}

OTPP_DECL void scheduler::stop() {
  if (user_stopped_) user_stopped_->store(true);
  if (stopping_.exchange(true)) return;
  for (auto& w : workers_) wake(*w);
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

OTPP_DECL void scheduler::drop_queued() {
  // Threads that saw the runtime running may still be inside schedule().
  while (outside_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  for (auto& w : workers_) {
    if (runnable* r = w->next.exchange(nullptr)) r->discard();
    std::lock_guard lock(w->mutex);
    while (runnable* r = w->queue.pop()) r->discard();
    w->queued.store(0);
  }
}

OTPP_DECL void scheduler::schedule(runnable* r) {
  if (user_executor_) return post_to_user(r);
  if (stopping_.load(std::memory_order_acquire)) return r->discard();
  if (worker* w = this_worker; w && w->owner == this) {
    r->home = w->index;
    if (runnable* previous = w->next.exchange(r, std::memory_order_acq_rel)) {
      push(*w, previous, woken_here);
      if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_one_sleeper(w->index);
    }
    return;
  }
  // From outside the workers: count ourselves in, so that the runtime
  // cannot destroy the workers while this thread still touches one.
  outside_.fetch_add(1, std::memory_order_seq_cst);
  if (stopping_.load(std::memory_order_seq_cst)) {
    outside_.fetch_sub(1, std::memory_order_seq_cst);
    return r->discard();
  }
  worker& h = *workers_[r->home % workers_.size()];
  push(h, r, behind);
  wake(h);
  // Its home worker is inside a handler, which may take long: let an idle
  // worker steal it rather than wait.
  if (h.busy.load(std::memory_order_relaxed) && sleepers_.load(std::memory_order_seq_cst) > 0)
    wake_one_sleeper(h.index);
  outside_.fetch_sub(1, std::memory_order_seq_cst);
}

OTPP_DECL void scheduler::yield(runnable* r) {
  if (user_executor_) return post_to_user(r);
  if (stopping_.load(std::memory_order_acquire)) return r->discard();
  if (worker* w = this_worker; w && w->owner == this) {
    push(*w, r, behind);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_one_sleeper(w->index);
    return;
  }
  schedule(r);
}

OTPP_DECL void scheduler::post_to_user(runnable* r) {
  r->hold();
  asio::post(user_executor_, [r, stopped = user_stopped_] {
    if (stopped->load(std::memory_order_acquire))
      r->drop_held();
    else
      r->run_held();
  });
}

OTPP_DECL void scheduler::main_loop(worker& w) {
  asio_thread_scope asio_context;
  this_worker = &w;
  loop(w, done_check{[](const void* self) {
                        return static_cast<const scheduler*>(self)->stopping_.load(std::memory_order_relaxed);
                      },
                      this},
       std::chrono::steady_clock::time_point::max());
  w.guard.reset();
  this_worker = nullptr;
}

OTPP_DECL runnable* scheduler::steal(worker& thief) {
  const std::size_t n = workers_.size();
  for (std::size_t k = 1; k < n; ++k) {
    worker& victim = *workers_[(thief.index + k) % n];
    if (victim.queued.load(std::memory_order_relaxed) == 0) continue;
    runnable_list taken;
    {
      std::lock_guard lock(victim.mutex);
      taken = victim.queue.take_older_half();
      victim.queued.store(victim.queue.size(), std::memory_order_relaxed);
    }
    runnable* first = taken.pop();
    if (!first) continue;
    if (taken.size) {
      std::lock_guard lock(thief.mutex);
      thief.queue.fifo.splice_back(taken);
      thief.queued.store(thief.queue.size(), std::memory_order_relaxed);
    }
    return first;
  }
  return nullptr;
}

OTPP_DECL bool scheduler::spin(worker& w, done_check done, std::chrono::steady_clock::time_point deadline) {
  const auto until = std::min(deadline, std::chrono::steady_clock::now() + spin_time);
  for (unsigned i = 1;; ++i) {
    // Only work sent to this worker: stealing from a busy worker here,
    // sooner than a sleeper would, splits processes that run best
    // together (a server and its clients) across threads.
    if (w.next.load(std::memory_order_relaxed) || w.queued.load(std::memory_order_relaxed) || done())
      return true;
    if ((i & 63) == 0) {
      if (w.ioc.poll() > 0) return true;
      if (std::chrono::steady_clock::now() >= until) return false;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

OTPP_DECL void scheduler::wake_one_sleeper(std::uint32_t except) {
  const std::size_t n = workers_.size();
  for (std::size_t k = 1; k < n; ++k) {
    worker& w = *workers_[(except + k) % n];
    if (w.sleeping.load(std::memory_order_relaxed)) {
      wake(w);
      return;
    }
  }
}

OTPP_DECL void scheduler::loop(worker& w, done_check done, std::chrono::steady_clock::time_point deadline) {
  const bool timed = deadline != std::chrono::steady_clock::time_point::max();
  runnable* rescued = nullptr;
  for (;;) {
    if (done()) return;
    if (timed && (w.tick & 15) == 0 && std::chrono::steady_clock::now() >= deadline) return;
    runnable* r = nullptr;
    // Every 256 turns look at the io_context and the FIFO's front first,
    // so that two processes that keep waking each other through the
    // run-next slot, or a stream of newly woken ones, cannot starve the
    // rest; every 4096 turns move the woken behind the FIFO, for the same
    // reason.
    if ((++w.tick & 255) == 0) {
      w.ioc.poll();
      r = pop(w, (w.tick & 4095) == 0 ? aged : fair);
    }
    if (!r && w.next.load(std::memory_order_relaxed))
      r = w.next.exchange(nullptr, std::memory_order_acq_rel);
    if (!r) r = pop(w);
    if (!r) {
      if (w.ioc.poll() > 0) continue;
      r = steal(w);
    }
    if (r) {
      r->home = w.index;
      w.runs.store(w.runs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      w.busy.store(true, std::memory_order_relaxed);
      r->run();
      w.busy.store(false, std::memory_order_relaxed);
      continue;
    }
    if (std::chrono::steady_clock::now() >= deadline) return;
    if (spin(w, done, deadline)) continue;
    // Blocks gathered for their owners go back before a possibly long sleep.
    node_pool::flush();
    // Sleep until a timer, I/O, or a wake-up post. Dekker-style with
    // schedule(): either it sees `sleeping` or we see its push.
    w.sleeping.store(true, std::memory_order_seq_cst);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    if (!any_queued() && !done() && !stopping_.load(std::memory_order_seq_cst)) {
      // A process woken into another worker's run-next slot would wait for
      // that worker's handler however long it runs, and nothing wakes a
      // sleeper for it. So with other workers around, sleep at most 10 ms,
      // and 1 ms while one of them is in a handler with a process waiting
      // in its slot; take that process if the handler has not returned.
      auto until = deadline;
      worker* busy_one = find_busy(w);
      std::uint64_t busy_runs = busy_one ? busy_one->runs.load(std::memory_order_relaxed) : 0;
      if (workers_.size() > 1)
        until = std::min(until, std::chrono::steady_clock::now() +
                                    (busy_one ? std::chrono::milliseconds(1)
                                              : std::chrono::milliseconds(10)));
      if (until == std::chrono::steady_clock::time_point::max())
        w.ioc.run_one();
      else
        w.ioc.run_one_until(until);
      if (busy_one && busy_one->busy.load(std::memory_order_relaxed) &&
          busy_one->runs.load(std::memory_order_relaxed) == busy_runs)
        rescued = busy_one->next.exchange(nullptr, std::memory_order_acq_rel);
    }
    w.sleeping.store(false, std::memory_order_seq_cst);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    if (rescued) {
      // Taken from a worker stuck in one handler: it runs here now.
      w.next.store(rescued, std::memory_order_relaxed);
      rescued = nullptr;
    }
  }
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_IMPL_SCHEDULER_IPP
