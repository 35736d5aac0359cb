// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_PROCESS_BASE_HPP
#define OTPP_DETAIL_PROCESS_BASE_HPP

#include <otpp/config.hpp>
#include <otpp/detail/node_pool.hpp>
#include <otpp/detail/reply_slot.hpp>
#include <otpp/detail/scheduler.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/pid.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/smart_ptr/intrusive_ptr.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

OTPP_BEGIN_NAMESPACE

class message;

/// Severity of a runtime log line.
enum class log_level { info, warning, error };

/// Receives otpp's log lines (crash reports, unhandled messages), as OTP's logger.
using logger_function = std::function<void(log_level, std::string_view)>;

/// A `down` info message: a monitored process exited, as Erlang's
/// `{'DOWN', Ref, process, Pid, Reason}`. `reason` is `noproc` when the
/// process was already dead when the monitor was set up.
struct down {
  std::uint64_t ref = 0;  ///< the value `monitor` returned
  pid who;                ///< the process that exited
  exit_reason reason;     ///< why it exited
};

/// The info message a process that traps exits receives for an exit signal,
/// as Erlang's `{'EXIT', From, Reason}`.
struct exit_signal {
  pid from;            ///< the linked process that exited, or the sender of `exit`; empty for the runtime
  exit_reason reason;  ///< its exit reason
};

namespace detail {

class process_base;
class runtime_core;

// Where an exit signal comes from: a link (ignored once unlinked, as
// erlang:unlink/1 guarantees), otpp::exit, or the runtime's shutdown (which
// acts as every root process's parent).
enum class exit_origin : unsigned char { link, exit_call, runtime };

// The process running on this thread (set while its handlers run), or null.
inline thread_local process_base* current_process = nullptr;

// An item in a process's inbox. Control items (signals, executor work) are
// handled on arrival, even while a coroutine handler is suspended; messages
// wait their turn. Allocated by senders and freed by receivers, most often
// on other threads, nodes come from the node pool.
struct inbox_node : pooled {
  inbox_node* next = nullptr;
  const bool control;

  explicit inbox_node(bool is_control) noexcept : control(is_control) {}
  virtual ~inbox_node() = default;
  // Handles the item in the process's context.
  virtual void deliver(process_base& p) = 0;
  // The process is dead: release what the item holds (fail a call, answer a link).
  virtual void discard(process_base&, const exit_reason&) noexcept {}
  // Frees the item once delivered or discarded (shared items drop a reference).
  virtual void dispose() noexcept { delete this; }
};

// A FIFO of inbox nodes, used inside one process.
struct node_fifo {
  inbox_node* head = nullptr;
  inbox_node* tail = nullptr;
  bool empty() const noexcept { return head == nullptr; }
  void push(inbox_node* n) noexcept {
    n->next = nullptr;
    if (tail) tail->next = n; else head = n;
    tail = n;
  }
  inbox_node* pop() noexcept {
    inbox_node* n = head;
    if (n) {
      head = n->next;
      if (!head) tail = nullptr;
    }
    return n;
  }
};

// A multi-producer, single-consumer inbox: producers push onto a lock-free
// stack; the process takes the whole stack at once and reverses it, which
// keeps each sender's order. The head also encodes whether the process is
// scheduled: `idle` means "empty and not scheduled", so the push that ends
// idleness is the one that schedules the process (one atomic per send).
class inbox {
 public:
  enum class push_result { queued, queued_was_idle, closed };

  push_result push(inbox_node* n) noexcept {
    inbox_node* h = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (h == closed_mark()) return push_result::closed;
      n->next = (h == idle_mark()) ? nullptr : h;
      // acq_rel: a sender that wakes the process also sees what the process
      // wrote before it went idle (its home worker).
      if (head_.compare_exchange_weak(h, n, std::memory_order_acq_rel, std::memory_order_relaxed))
        return h == idle_mark() ? push_result::queued_was_idle : push_result::queued;
    }
  }

  // Takes everything pushed so far, oldest first. Consumer only, while scheduled.
  inbox_node* take() noexcept {
    inbox_node* h = head_.exchange(nullptr, std::memory_order_acquire);
    return reverse(h);
  }

  // Marks the inbox idle if it is empty; false if something arrived.
  bool try_idle() noexcept {
    inbox_node* expected = nullptr;
    return head_.compare_exchange_strong(expected, idle_mark(), std::memory_order_acq_rel);
  }

  // Closes the inbox for good and returns what was left, oldest first.
  inbox_node* close() noexcept {
    inbox_node* h = head_.exchange(closed_mark(), std::memory_order_acquire);
    if (h == idle_mark() || h == closed_mark()) return nullptr;
    return reverse(h);
  }

  bool closed() const noexcept { return head_.load(std::memory_order_acquire) == closed_mark(); }

 private:
  static inbox_node* idle_mark() noexcept { return reinterpret_cast<inbox_node*>(std::uintptr_t{1}); }
  static inbox_node* closed_mark() noexcept { return reinterpret_cast<inbox_node*>(std::uintptr_t{2}); }
  static inbox_node* reverse(inbox_node* h) noexcept {
    inbox_node* out = nullptr;
    while (h) {
      inbox_node* n = h->next;
      h->next = out;
      out = h;
      h = n;
    }
    return out;
  }

  // Starts "scheduled": nothing runs the process before its init has returned.
  std::atomic<inbox_node*> head_{nullptr};
};

// A process's links. Most processes have one (the process that started it),
// kept inline; a supervisor may have hundreds of thousands, so a larger set
// moves to an indexed vector.
class link_set {
 public:
  bool contains(const pid& p) const {
    if (!many_) return one_ == p;
    if (!many_->index.empty()) return many_->index.count(p.get()) != 0;
    return std::find(many_->items.begin(), many_->items.end(), p) != many_->items.end();
  }
  // Adds `p` unless present; true if it was added.
  bool insert(pid p);
  void erase(const pid& p);
  void clear() noexcept {
    one_ = pid();
    many_.reset();
  }
  // Calls `f(const pid&)` for each link.
  template <class F>
  void for_each(F&& f) const {
    if (!many_) {
      if (one_) f(one_);
      return;
    }
    for (const pid& p : many_->items) f(p);
  }

 private:
  static constexpr std::size_t small_size = 16;
  struct many {
    std::vector<pid> items;
    std::unordered_map<const process_base*, std::size_t> index;  // empty while small
  };
  void reindex();
  pid one_;                     // the only link, while there is at most one
  std::unique_ptr<many> many_;  // every link once there were two
};

// What most processes never need, allocated on first use.
struct process_extras {
  struct monitor_entry {
    std::uint64_t ref;
    pid watcher;
  };
  std::vector<monitor_entry> monitored_by;  // who watches this process
  struct watch_entry {
    std::uint64_t ref;
    pid target;
  };
  std::vector<watch_entry> monitors;        // monitors this process holds
  std::string name;
  asio::cancellation_signal coroutine_cancel;
};

// The runtime's shared state: scheduler, process table, names, logger.
class runtime_core {
 public:
  runtime_core(unsigned threads, logger_function logger);
  runtime_core(asio::any_io_executor ex, logger_function logger);

  ~runtime_core();

  scheduler sched;

  // The timeout queue for asynchronous calls made on this thread.
  timeout_queue& timeouts() noexcept {
    return *timeouts_[sched.owns_this_thread() ? this_worker->index : 0];
  }

  // Pids are numbered across all runtimes of the program, so that two pids
  // never print or compare alike.
  static std::uint64_t next_id() noexcept {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t next_ref() noexcept { return next_ref_.fetch_add(1, std::memory_order_relaxed); }

  void log(log_level level, std::string_view text) const {
    if (logger_) logger_(level, text);
  }
  // False when there is no logger: callers skip formatting what nobody reads.
  bool logging() const noexcept { return static_cast<bool>(logger_); }

  std::size_t live_count() const noexcept { return live_.load(std::memory_order_acquire); }

  // Process table: every process from start until its inbox closes.
  void add(process_base& p);
  void remove(process_base& p) noexcept;
  void on_dead() noexcept;  // a process stopped being alive

  // Unique names. register_name fails with the holder when taken.
  bool register_name(const std::string& name, process_base& p, pid& holder);
  void unregister_name(const std::string& name, process_base& p) noexcept;
  pid whereis(std::string_view name) const;

  bool shutting_down() const noexcept { return shutting_down_.load(std::memory_order_acquire); }
  void shutdown(std::chrono::milliseconds grace);

 private:
  std::vector<pid> snapshot(bool roots_only) const;
  bool wait_all_dead(std::chrono::steady_clock::time_point deadline);
  pid any_in_table() const;

  void make_timeout_queues();

  logger_function logger_;
  std::vector<std::unique_ptr<timeout_queue>> timeouts_;
  std::atomic<std::uint64_t> next_ref_{1};

  // The process table, in one shard per worker: workers that start and end
  // processes at once would otherwise queue on one lock (W6 spent a tenth
  // of its time there). A process stays in the shard it was added to.
  struct alignas(64) table_shard {
    mutable std::mutex mutex;
    process_base* head = nullptr;
    process_base* tail = nullptr;
  };
  std::vector<table_shard> shards_;
  std::atomic<std::size_t> live_{0};
  std::mutex dead_mutex_;  // for all_dead_
  std::condition_variable all_dead_;     // live_ reached zero
  std::condition_variable table_emptied_;  // on a user executor, the one shard emptied (under its mutex)

  mutable std::mutex names_mutex_;
  std::unordered_map<std::string, pid> names_;

  std::atomic<bool> shutting_down_{false};
};

// A process: an inbox, a run loop that handles one item at a time, links,
// monitors and an exit. Behaviours (gen_server) derive and handle messages.
class process_base : public runnable {
 public:
  explicit process_base(runtime_core& rt) : id(rt.next_id()), rt(rt) {
    home = rt.sched.pick_home();
    io_home = home;
  }
  process_base(const process_base&) = delete;
  process_base& operator=(const process_base&) = delete;

  std::atomic<std::uint32_t> refs{1};  // the table's reference
  const std::uint64_t id;
  runtime_core& rt;
  std::uint32_t io_home = 0;   // the worker whose io_context serves this process's timers and I/O
  std::atomic<bool> alive{true};
  bool trap_exit = false;
  bool suspended = false;  // a coroutine handler is awaiting: messages wait
  bool exited = false;
  bool zombie = false;     // dead, but a suspended coroutine is still unwinding
  bool root = true;        // not linked to the process that started it
  std::uint32_t table_shard = 0;  // where in runtime_core's table it is

  // --- any thread ---

  // Pushes an item, taking ownership; schedules the process if it was idle.
  // False once the process has finished: the item is then destroyed and the
  // caller answers for the dead process (noproc).
  bool post(inbox_node* n) {
    switch (inbox_.push(n)) {
      case inbox::push_result::queued: return true;
      case inbox::push_result::queued_was_idle: rt.sched.schedule(this); return true;
      case inbox::push_result::closed: break;
    }
    n->dispose();
    return false;
  }
  // As post, but refused as soon as the process is dead: messages to a dead
  // process are never queued.
  bool post_message(inbox_node* n) {
    if (!alive.load(std::memory_order_acquire)) {
      n->dispose();
      return false;
    }
    return post(n);
  }

  // --- the process's own context ---

  void run() override;
  void hold() noexcept override { retain(this); }
  void run_held() override {
    run();
    release(this);
  }
  void drop_held() noexcept override { release(this); }

  // Ends the process with `reason` (no terminate callback: behaviours call
  // theirs first). Never call it from inside a running handler: post an exit
  // signal to self instead.
  void exit(exit_reason reason);

  // An exit signal arrived (from a link, `otpp::exit` or the runtime).
  void handle_exit_signal(const pid& from, const exit_reason& reason, exit_origin origin);
  bool linked_to(const pid& other) const noexcept { return links.contains(other); }

  // Releases the inbox and leaves the table; the last step of an exit.
  void finalize() noexcept;
  // Closes the inbox, discarding what it held.
  void close_inbox() noexcept;

  // Starts running messages after init; schedules if anything is waiting.
  void release_after_init() {
    if (!pending_.empty() || !inbox_.try_idle()) rt.sched.schedule(this);
  }

  process_extras& extras() {
    if (!extras_) extras_ = std::make_unique<process_extras>();
    return *extras_;
  }
  process_extras* extras_if() noexcept { return extras_.get(); }

  pid self() { return pid(this); }

  exit_reason reason;
  pid parent;
  link_set links;
  owed_replies owed;  // replies this process owes; told of its exit

  // Queues a message taken from the inbox (used for trapped exit signals, so
  // that they keep their place among messages).
  void push_pending(inbox_node* n) noexcept { pending_.push(n); }

  // Table links, guarded by the mutex of runtime_core's table shard.
  process_base* table_prev = nullptr;
  process_base* table_next = nullptr;

  // The behaviour's hooks.
  virtual const void* type_tag() const noexcept = 0;                // which implementation this is
  virtual void destroy_state() noexcept = 0;                        // destroy the user's object
  virtual void on_exit_info(const pid& from, const exit_reason& r, bool from_runtime) = 0;  // trapped
  virtual void on_down(down d) = 0;                                 // a monitor fired
  virtual void on_message(message&& m) = 0;                         // an untyped info message
  virtual ~process_base() = default;

 private:
  inbox inbox_;
  node_fifo pending_;
  std::unique_ptr<process_extras> extras_;
};

// ---- signal nodes ----

struct exit_signal_node final : inbox_node {
  pid from;
  exit_reason reason;
  exit_origin origin;
  exit_signal_node(pid f, exit_reason r, exit_origin o)
      : inbox_node(true), from(std::move(f)), reason(std::move(r)), origin(o) {}
  void deliver(process_base& p) override { p.handle_exit_signal(from, reason, origin); }
};

// A trapped exit signal, queued as a message.
struct exit_info_node final : inbox_node {
  pid from;
  exit_reason reason;
  bool from_runtime;
  exit_info_node(pid f, exit_reason r, bool rt)
      : inbox_node(false), from(std::move(f)), reason(std::move(r)), from_runtime(rt) {}
  void deliver(process_base& p) override { p.on_exit_info(from, reason, from_runtime); }
};

struct link_node final : inbox_node {
  pid from;
  explicit link_node(pid f) : inbox_node(true), from(std::move(f)) {}
  void deliver(process_base& p) override {
    if (p.exited) return discard(p, p.reason);  // exiting: its links were already told
    p.links.insert(from);
  }
  // The process exited (with `why`) before the link reached it: the linker
  // gets its exit signal, after the ones the exit sent. (`link` answers
  // `noproc` itself once the process is gone.)
  void discard(process_base& p, const exit_reason& why) noexcept override {
    if (auto* f = from.get()) {
      try {
        f->post(new exit_signal_node(p.self(), why, exit_origin::link));
      } catch (...) {
      }
    }
  }
};

struct unlink_node final : inbox_node {
  pid from;
  explicit unlink_node(pid f) : inbox_node(true), from(std::move(f)) {}
  void deliver(process_base& p) override {
    p.links.erase(from);
  }
};

struct down_node final : inbox_node {
  down d;
  explicit down_node(down dd) : inbox_node(false), d(std::move(dd)) {}
  void deliver(process_base& p) override {
    // A demonitored reference no longer delivers (as demonitor with flush).
    auto* x = p.extras_if();
    if (!x) return;
    auto it = std::find_if(x->monitors.begin(), x->monitors.end(),
                           [&](const auto& m) { return m.ref == d.ref; });
    if (it == x->monitors.end()) return;
    x->monitors.erase(it);
    p.on_down(std::move(d));
  }
};

struct monitor_node final : inbox_node {
  pid watcher;
  std::uint64_t ref;
  monitor_node(pid w, std::uint64_t r) : inbox_node(true), watcher(std::move(w)), ref(r) {}
  void deliver(process_base& p) override {
    if (p.exited) return discard(p, p.reason);  // exiting: its monitors were already told
    p.extras().monitored_by.push_back({ref, watcher});
  }
  // The process exited (with `why`) before the monitor reached it: the
  // watcher gets its real reason, after the exit's link signals. (`monitor`
  // answers `noproc` itself once the process is gone.)
  void discard(process_base& p, const exit_reason& why) noexcept override {
    if (auto* w = watcher.get()) {
      try {
        w->post_message(new down_node(down{ref, p.self(), why}));
      } catch (...) {
      }
    }
  }
};

struct demonitor_node final : inbox_node {
  std::uint64_t ref;
  explicit demonitor_node(std::uint64_t r) : inbox_node(true), ref(r) {}
  void deliver(process_base& p) override {
    if (auto* x = p.extras_if())
      std::erase_if(x->monitored_by, [&](const auto& m) { return m.ref == ref; });
  }
};

// A function to run in the process's context (the process's executor).
template <class F>
struct work_node final : inbox_node {
  F f;
  explicit work_node(F&& fn) : inbox_node(true), f(std::move(fn)) {}
  void deliver(process_base& p) override {
    (void)p;
    f();
  }
};

// Posts `n` to `target`, or destroys it if the target is gone. True if queued.
inline bool post_or_drop(process_base* target, inbox_node* n) {
  if (target) return target->post(n);
  n->dispose();
  return false;
}

// ---- pid's reference counting (the rest is in impl/process_base.ipp) ----

inline void retain(process_base* p) noexcept { p->refs.fetch_add(1, std::memory_order_relaxed); }
inline void release(process_base* p) noexcept {
  if (p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete p;
}
inline std::uint64_t process_id(const process_base* p) noexcept { return p->id; }

}  // namespace detail
OTPP_END_NAMESPACE

#if !defined(OTPP_SEPARATE_COMPILATION)
#include <otpp/detail/impl/process_base.ipp>
#endif

#endif  // OTPP_DETAIL_PROCESS_BASE_HPP
