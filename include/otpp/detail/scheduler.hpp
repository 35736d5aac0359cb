// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_SCHEDULER_HPP
#define OTPP_DETAIL_SCHEDULER_HPP

#include <otpp/config.hpp>
#include <otpp/detail/node_pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/detail/thread_info_base.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

OTPP_BEGIN_NAMESPACE
namespace detail {

// Something a worker can run: a process with messages, or a function task.
struct runnable {
  runnable* next_runnable = nullptr;
  std::uint32_t home = 0;  // the worker it last ran on; where a wake-up from outside sends it
  virtual void run() = 0;
  // Dropped without running (the runtime is gone); tasks free themselves.
  virtual void discard() noexcept {}
  // On a user-supplied executor a queued runnable must outlive the runtime:
  // hold() keeps it, and exactly one of the other two runs or drops it and
  // then lets go. Tasks own themselves, so the defaults suffice for them.
  virtual void hold() noexcept {}
  virtual void run_held() { run(); }
  virtual void drop_held() noexcept { discard(); }

 protected:
  ~runnable() = default;
};

// A list of runnables linked through `next_runnable`: a FIFO with
// push_back and pop, a stack with push_front and pop.
struct runnable_list {
  runnable* head = nullptr;
  runnable* tail = nullptr;
  std::size_t size = 0;

  void push_back(runnable* r) noexcept {
    r->next_runnable = nullptr;
    if (tail) tail->next_runnable = r; else head = r;
    tail = r;
    ++size;
  }
  void push_front(runnable* r) noexcept {
    r->next_runnable = head;
    head = r;
    if (!tail) tail = r;
    ++size;
  }
  runnable* pop() noexcept {
    runnable* r = head;
    if (r) {
      head = r->next_runnable;
      if (!head) tail = nullptr;
      --size;
    }
    return r;
  }
  // Moves all of `other` to the back of this list.
  void splice_back(runnable_list& other) noexcept {
    if (!other.head) return;
    if (tail) tail->next_runnable = other.head; else head = other.head;
    tail = other.tail;
    size += other.size;
    other = {};
  }
  // Removes and returns the last `count` (at most size) runnables, in order.
  runnable_list split_back(std::size_t count) noexcept {
    runnable_list back;
    if (count == 0) return back;
    if (count >= size) {
      back = *this;
      *this = {};
      return back;
    }
    runnable* last_kept = head;
    for (std::size_t i = 1; i < size - count; ++i) last_kept = last_kept->next_runnable;
    back.head = last_kept->next_runnable;
    back.tail = tail;
    back.size = count;
    last_kept->next_runnable = nullptr;
    tail = last_kept;
    size -= count;
    return back;
  }
};

// A worker's queued runnables, in two parts. What this worker woke itself
// (a process displaced from its run-next slot, a child it spawned) runs
// newest first, as in fork-join schedulers: the newest is the most likely
// to be in cache, and a tree of processes is walked depth first instead of
// existing all at once (skynet's million leaves: 20 MB instead of 435 MB).
// What yielded its turn or came from another thread waits in FIFO order.
// Newest first alone could starve the oldest, so the worker regularly takes
// the FIFO's front first and, less often, moves the woken behind the FIFO
// (`age`): whatever is queued runs within a bounded number of turns.
struct run_queue {
  runnable_list woken;  // a stack: newest first
  runnable_list fifo;

  std::size_t size() const noexcept { return woken.size + fifo.size; }
  // The newest woken, else the FIFO's front.
  runnable* pop() noexcept {
    if (runnable* r = woken.pop()) return r;
    return fifo.pop();
  }
  // The FIFO's front, else the newest woken.
  runnable* pop_fifo_first() noexcept {
    if (runnable* r = fifo.pop()) return r;
    return woken.pop();
  }
  void age() noexcept { fifo.splice_back(woken); }
  // The older half (at least one) for a thief: from the FIFO's front, or
  // else the bottom half of the stack (in a tree, the larger subtrees).
  runnable_list take_older_half() noexcept {
    runnable_list taken;
    if (fifo.size) {
      std::size_t count = (fifo.size + 1) / 2;
      while (count-- > 0) taken.push_back(fifo.pop());
    } else {
      taken = woken.split_back((woken.size + 1) / 2);
    }
    return taken;
  }
};

class scheduler;

// Makes the calling thread an Asio thread context for its lifetime, as
// io_context::run does for the threads that run it. Asio keeps its
// recycled memory (coroutine frames, cancellation handlers, handler
// allocations) per thread context; a worker runs processes outside
// io_context::run, so without this every awaitable frame and every
// cancellation slot assignment would go to the system allocator.
class asio_thread_scope : asio::detail::thread_context {
 public:
  asio_thread_scope() = default;
  asio_thread_scope(const asio_thread_scope&) = delete;
  asio_thread_scope& operator=(const asio_thread_scope&) = delete;

 private:
  asio::detail::thread_info_base info_;
  thread_call_stack::context context_{this, info_};  // popped before info_ frees its cache
};

// One worker thread: its own io_context (timers and I/O of the processes
// homed here), a run queue other workers may steal from, and a one-slot
// "run next" that holds the process most recently woken by this thread.
// The slot is what makes a call round trip stay on one thread: the woken
// server runs right after the caller suspends, with no queue and no wake-up.
struct worker {
  scheduler* owner = nullptr;
  std::uint32_t index = 0;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;

  std::mutex mutex;  // guards queue
  run_queue queue;
  std::atomic<std::size_t> queued{0};
  // Set and taken by the owner; taken by another worker only when the owner
  // has been inside one handler for a while (see scheduler::rescue).
  std::atomic<runnable*> next{nullptr};
  std::atomic<bool> sleeping{false};
  std::atomic<bool> busy{false};       // inside a runnable (a handler may block it for long)
  std::atomic<std::uint64_t> runs{0};  // runnables started; unchanged while one is stuck
  unsigned tick = 0;
};

// The worker the calling thread is, or null on any other thread.
inline thread_local worker* this_worker = nullptr;

// Places runnables on workers (or, on a user-supplied executor, posts them
// there) and runs the workers' loops.
class scheduler {
 public:
  // Runs on `threads` workers of its own.
  explicit scheduler(unsigned threads);

  // Runs everything on `ex` (processes then sit behind their own scheduled flag).
  explicit scheduler(asio::any_io_executor ex)
      : user_executor_(std::move(ex)), user_stopped_(std::make_shared<std::atomic<bool>>(false)) {}

  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  ~scheduler() { stop(); }

  // Stops and joins the workers. Pending handlers of their io_contexts are
  // destroyed with the workers.
  void stop();

  // Drops what is still queued on the workers (after stop()), before the
  // runtime closes the processes that may be among it.
  void drop_queued();

  // Destroys the workers and their io_contexts (after drop_queued()).
  void destroy_workers() { workers_.clear(); }

  bool owns_this_thread() const noexcept { return this_worker && this_worker->owner == this; }
  std::size_t worker_count() const noexcept { return workers_.size(); }

  // A home for a new runnable: the spawning worker, else round-robin.
  std::uint32_t pick_home() noexcept {
    if (owns_this_thread()) return this_worker->index;
    if (workers_.empty()) return 0;
    return static_cast<std::uint32_t>(round_robin_.fetch_add(1, std::memory_order_relaxed) %
                                      workers_.size());
  }

  // The executor for timers and I/O of runnables homed on `home`.
  asio::any_io_executor io_executor(std::uint32_t home) const {
    if (user_executor_) return user_executor_;
    return workers_[home % workers_.size()]->ioc.get_executor();
  }

  // Makes `r` run soon. On a worker it goes to that worker's run-next slot
  // (wake-affine); from any other thread to its home worker's queue.
  void schedule(runnable* r);

  // The user's io_context if the calling thread is running it (so a blocking
  // call there can run it while it waits), else null.
  asio::io_context* user_io_context_here() const {
    if (!user_executor_) return nullptr;
    auto* ex = user_executor_.target<asio::io_context::executor_type>();
    return ex && ex->running_in_this_thread() ? &ex->context() : nullptr;
  }

  // Makes `r` run after what is already queued: a process that used up its
  // turn goes to the back, where idle workers may also steal it.
  void yield(runnable* r);

  // Runs the calling worker's loop until `done()` is true or `deadline`
  // passes; a blocking call made inside a handler waits this way so that the
  // worker keeps running other processes meanwhile. `wake(w)` must be
  // called after `done()` becomes true.
  template <class Done>
  void run_until(worker& w, Done&& done, std::chrono::steady_clock::time_point deadline) {
    using D = std::remove_reference_t<Done>;
    loop(w, done_check{[](const void* d) { return (*static_cast<const D*>(d))(); }, &done}, deadline);
  }

  // Wakes `w` if it sleeps, so that it re-checks its queue and `done()`.
  // Call it after a seq_cst store of what the worker checks before sleeping
  // (its queue size, or a waiter's ready flag): with the worker's seq_cst
  // store of `sleeping` and load of that state, one of the two sides sees
  // the other (Dekker), so a wake-up is never lost.
  void wake(worker& w) {
    if (w.sleeping.load(std::memory_order_seq_cst) && w.sleeping.exchange(false))
      asio::post(w.ioc, [] {});
  }

 private:
  // When a worker's loop returns: `test(arg)` is true. A function pointer,
  // not a template parameter, so that the loop is compiled once.
  struct done_check {
    bool (*test)(const void*);
    const void* arg;
    bool operator()() const { return test(arg); }
  };

  void post_to_user(runnable* r);

  void main_loop(worker& w);

  enum push_kind { woken_here, behind };

  void push(worker& w, runnable* r, push_kind kind) {
    std::lock_guard lock(w.mutex);
    if (kind == woken_here) w.queue.woken.push_front(r);
    else w.queue.fifo.push_back(r);
    w.queued.store(w.queue.size(), std::memory_order_seq_cst);
  }

  // How a turn picks from the queue: `newest` as usual, `fair` the FIFO's
  // front first, `aged` that after moving the woken behind the FIFO.
  enum pop_order { newest, fair, aged };

  runnable* pop(worker& w, pop_order order = newest) {
    if (w.queued.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock(w.mutex);
    if (order == aged) w.queue.age();
    runnable* r = order == newest ? w.queue.pop() : w.queue.pop_fifo_first();
    w.queued.store(w.queue.size(), std::memory_order_relaxed);
    return r;
  }

  // Takes half of another worker's queue (at least one runnable).
  runnable* steal(worker& thief);

  // Waits a few microseconds for work before going to sleep: work that
  // comes that soon (a reply, a blocking caller's next request) is then
  // taken without the system calls of a sleep and a wake-up. True if work came.
  bool spin(worker& w, done_check done, std::chrono::steady_clock::time_point deadline);
  static constexpr std::chrono::microseconds spin_time{20};

  // True if any worker has something queued: a sleeper counted in
  // `sleepers_` that sees nothing here is sure to be woken for the next push.
  bool any_queued() const noexcept {
    for (auto& o : workers_)
      if (o->queued.load(std::memory_order_seq_cst) != 0) return true;
    return false;
  }

  // Another worker that is inside a handler with a process waiting in its
  // run-next slot, if any.
  worker* find_busy(worker& self) {
    for (auto& o : workers_)
      if (o.get() != &self && o->busy.load(std::memory_order_relaxed) &&
          o->next.load(std::memory_order_relaxed))
        return o.get();
    return nullptr;
  }

  void wake_one_sleeper(std::uint32_t except);

  void loop(worker& w, done_check done, std::chrono::steady_clock::time_point deadline);

  std::vector<std::unique_ptr<worker>> workers_;
  asio::any_io_executor user_executor_;
  std::shared_ptr<std::atomic<bool>> user_stopped_;  // outlives us in posted functions
  std::atomic<bool> stopping_{false};
  std::atomic<int> sleepers_{0};
  std::atomic<int> outside_{0};  // threads other than workers inside schedule()
  std::atomic<std::uint32_t> round_robin_{0};
};

}  // namespace detail
OTPP_END_NAMESPACE

#if !defined(OTPP_SEPARATE_COMPILATION)
#include <otpp/detail/impl/scheduler.ipp>
#endif

#endif  // OTPP_DETAIL_SCHEDULER_HPP
