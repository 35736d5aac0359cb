// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// Processes, links and the runtime's process table: included by
// otpp/detail/process_base.hpp unless OTPP_SEPARATE_COMPILATION is defined, and
// then compiled once, by <otpp/src.hpp>.
#ifndef OTPP_DETAIL_IMPL_PROCESS_BASE_IPP
#define OTPP_DETAIL_IMPL_PROCESS_BASE_IPP

#include <otpp/detail/process_base.hpp>

OTPP_BEGIN_NAMESPACE
namespace detail {

// ---- link_set ----

OTPP_DECL bool link_set::insert(pid p) {
  if (!many_) {
    if (!one_) {
      one_ = std::move(p);
      return true;
    }
    if (one_ == p) return false;
    many_ = std::make_unique<many>();
    many_->items.reserve(4);
    many_->items.push_back(std::move(one_));
    one_ = pid();
  } else if (contains(p)) {
    return false;
  }
  auto& items = many_->items;
  items.push_back(std::move(p));
  if (!many_->index.empty()) many_->index.emplace(items.back().get(), items.size() - 1);
  else if (items.size() > small_size) reindex();
  return true;
}

OTPP_DECL void link_set::erase(const pid& p) {
  if (!many_) {
    if (one_ == p) one_ = pid();
    return;
  }
  auto& items = many_->items;
  auto& index = many_->index;
  std::size_t i;
  if (!index.empty()) {
    auto it = index.find(p.get());
    if (it == index.end()) return;
    i = it->second;
    index.erase(it);
  } else {
    auto it = std::find(items.begin(), items.end(), p);
    if (it == items.end()) return;
    i = static_cast<std::size_t>(it - items.begin());
  }
  // Order does not matter: move the last into the hole.
  if (i + 1 != items.size()) {
    items[i] = std::move(items.back());
    if (!index.empty()) index[items[i].get()] = i;
  }
  items.pop_back();
}

OTPP_DECL void link_set::reindex() {
  many_->index.clear();
  for (std::size_t i = 0; i < many_->items.size(); ++i) many_->index.emplace(many_->items[i].get(), i);
}

// ---- process_base ----

OTPP_DECL void process_base::run() {
  process_base* const previous = std::exchange(current_process, this);
  retain(this);
  int budget = 256;  // items per turn, so that a busy process lets others run
  for (;;) {
    for (inbox_node* n = inbox_.take(); n;) {
      inbox_node* next = n->next;
      --budget;
      if (n->control) {
        n->deliver(*this);
        n->dispose();
      } else if (exited) {
        n->discard(*this, reason);
        n->dispose();
      } else {
        pending_.push(n);
      }
      n = next;
    }
    while (!exited && !suspended && budget > 0 && !pending_.empty()) {
      --budget;
      inbox_node* n = pending_.pop();
      n->deliver(*this);
      n->dispose();
    }
    if (exited && !zombie) {
      finalize();
      break;
    }
    const bool more = !exited && !suspended && !pending_.empty();
    if (!more && inbox_.try_idle()) break;
    if (budget <= 0) {
      rt.sched.yield(this);
      break;
    }
  }
  current_process = previous;
  release(this);
}

OTPP_DECL void process_base::exit(exit_reason why) {
  if (exited) return;
  if (why.what() == exit_reason::kind::kill) why = killed;
  exited = true;
  reason = why;
  alive.store(false, std::memory_order_release);
  // Counted out before anyone hears of the exit, so that a stop, a down or an
  // exit signal is never seen while the runtime still counts the process.
  rt.on_dead();
  pid me = self();

  while (inbox_node* n = pending_.pop()) {
    n->discard(*this, reason);
    n->dispose();
  }
  std::unique_ptr<process_extras> x = std::move(extras_);
  if (x && !x->name.empty()) rt.unregister_name(x->name, *this);
  if (suspended) {
    // A coroutine handler is awaiting: cancel what it waits for and keep the
    // user's object alive until the frame has unwound.
    zombie = true;
    if (x) x->coroutine_cancel.emit(asio::cancellation_type::terminal);
  } else {
    destroy_state();
  }
  links.for_each([&](const pid& l) { post_or_drop(l.get(), new exit_signal_node(me, reason, exit_origin::link)); });
  links.clear();
  if (x) {
    for (auto& m : x->monitored_by)
      if (auto* w = m.watcher.get()) w->post_message(new down_node(down{m.ref, me, reason}));
    if (zombie) {
      // The cancellation signal must outlive the frame it is connected to.
      x->monitored_by.clear();
      extras_ = std::move(x);
    }
  }
  // Callers waiting for a reply hear of the exit last: a caller that then
  // asks the supervisor (which_children) or monitors this process finds the
  // exit signal already in the supervisor's inbox.
  owed.owner_exited(reason);
}

OTPP_DECL void process_base::close_inbox() noexcept {
  for (inbox_node* n = inbox_.close(); n;) {
    inbox_node* next = n->next;
    n->discard(*this, reason);
    n->dispose();
    n = next;
  }
}

OTPP_DECL void process_base::finalize() noexcept {
  close_inbox();
  extras_.reset();
  rt.remove(*this);
}

OTPP_DECL void process_base::handle_exit_signal(const pid& from, const exit_reason& why,
                                                exit_origin origin) {
  if (exited) return;
  if (origin == exit_origin::link) {
    if (!linked_to(from)) return;  // unlinked meanwhile
    links.erase(from);             // the other side is dead: so is the link
  }
  if (why.what() == exit_reason::kind::kill) {
    exit(killed);
    return;
  }
  if (trap_exit) {
    pending_.push(new exit_info_node(from, why, origin == exit_origin::runtime));
    return;
  }
  if (why.is_normal()) return;  // a normal exit signal does not kill, as in Erlang
  exit(why);
}

// ---- runtime_core ----

OTPP_DECL runtime_core::runtime_core(unsigned threads, logger_function logger)
    : sched(threads), logger_(std::move(logger)), shards_(std::max<std::size_t>(1, sched.worker_count())) {
  make_timeout_queues();
}

OTPP_DECL runtime_core::runtime_core(asio::any_io_executor ex, logger_function logger)
    : sched(std::move(ex)), logger_(std::move(logger)), shards_(1) {
  make_timeout_queues();
}

OTPP_DECL runtime_core::~runtime_core() = default;

OTPP_DECL void runtime_core::make_timeout_queues() {
  const std::size_t n = std::max<std::size_t>(1, sched.worker_count());
  for (std::size_t i = 0; i < n; ++i)
    timeouts_.push_back(std::make_unique<timeout_queue>(sched.io_executor(static_cast<std::uint32_t>(i))));
}

OTPP_DECL void runtime_core::add(process_base& p) {
  retain(&p);  // the table's own reference, besides the creator's
  // The shard of the worker that starts it (its home), round-robin from elsewhere.
  p.table_shard = static_cast<std::uint32_t>(p.home % shards_.size());
  table_shard& shard = shards_[p.table_shard];
  live_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(shard.mutex);
  p.table_prev = shard.tail;
  p.table_next = nullptr;
  if (shard.tail) shard.tail->table_next = &p; else shard.head = &p;
  shard.tail = &p;
}

OTPP_DECL void runtime_core::remove(process_base& p) noexcept {
  {
    table_shard& shard = shards_[p.table_shard];
    std::lock_guard lock(shard.mutex);
    if (p.table_prev) p.table_prev->table_next = p.table_next; else shard.head = p.table_next;
    if (p.table_next) p.table_next->table_prev = p.table_prev; else shard.tail = p.table_prev;
    p.table_prev = p.table_next = nullptr;
    // Under the lock the waiter checks with: once it is released, shutdown
    // may see the table empty and destroy this object.
    if (!shard.head && shutting_down()) table_emptied_.notify_all();
  }
  release(&p);
}

OTPP_DECL void runtime_core::on_dead() noexcept {
  if (live_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(dead_mutex_);
    all_dead_.notify_all();
  }
}

OTPP_DECL pid runtime_core::any_in_table() const {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    if (shard.head) return pid(shard.head);
  }
  return {};
}

OTPP_DECL bool runtime_core::register_name(const std::string& name, process_base& p, pid& holder) {
  std::lock_guard lock(names_mutex_);
  auto [it, inserted] = names_.try_emplace(name, pid(&p));
  if (inserted) return true;
  if (!it->second.get()->alive.load(std::memory_order_acquire)) {
    it->second = pid(&p);  // the holder is dead and about to unregister
    return true;
  }
  holder = it->second;
  return false;
}

OTPP_DECL void runtime_core::unregister_name(const std::string& name, process_base& p) noexcept {
  std::lock_guard lock(names_mutex_);
  auto it = names_.find(name);
  if (it != names_.end() && it->second.get() == &p) names_.erase(it);
}

OTPP_DECL pid runtime_core::whereis(std::string_view name) const {
  std::lock_guard lock(names_mutex_);
  auto it = names_.find(std::string(name));
  if (it == names_.end() || !it->second.get()->alive.load(std::memory_order_acquire)) return {};
  return it->second;
}

OTPP_DECL std::vector<pid> runtime_core::snapshot(bool roots_only) const {
  std::vector<pid> out;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (process_base* p = shard.head; p; p = p->table_next)
      if (p->alive.load(std::memory_order_acquire) && (!roots_only || p->root))
        out.emplace_back(p);
  }
  // Newest first: pids are numbered in the order processes start.
  std::sort(out.begin(), out.end(), [](const pid& a, const pid& b) { return a.get()->id > b.get()->id; });
  return out;
}

OTPP_DECL bool runtime_core::wait_all_dead(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(dead_mutex_);
  return all_dead_.wait_until(lock, deadline, [&] { return live_count() == 0; });
}

OTPP_DECL void runtime_core::shutdown(std::chrono::milliseconds grace) {
  if (shutting_down_.exchange(true)) return;
  if (sched.owns_this_thread())
    log(log_level::error, "otpp::runtime destroyed from one of its own workers; it cannot wait there");
  // Root processes get `shutdown` from the runtime, newest first, as a parent
  // would send it; trapping gen_servers run terminate. Linked children go
  // with their parents.
  for (auto& p : snapshot(true)) post_or_drop(p.get(), new exit_signal_node(pid(), exit_reason(exit_reason::kind::shutdown), exit_origin::runtime));
  if (!wait_all_dead(std::chrono::steady_clock::now() + grace)) {
    for (auto& p : snapshot(false)) post_or_drop(p.get(), new exit_signal_node(pid(), exit_reason(exit_reason::kind::kill), exit_origin::runtime));
    if (!wait_all_dead(std::chrono::steady_clock::now() + grace))
      log(log_level::error, "otpp::runtime: processes still running after kill; stopping anyway");
  }
  if (sched.worker_count() == 0) {
    // On a user's executor the last turns of exited processes may still be
    // running there: wait until they have left the table (one shard here).
    table_shard& shard = shards_.front();
    std::unique_lock lock(shard.mutex);
    table_emptied_.wait_until(lock, std::chrono::steady_clock::now() + grace, [&] { return !shard.head; });
  }
  sched.stop();
  sched.drop_queued();
  // Nothing runs any more. Close what is left (a killed coroutine still
  // unwinding, a process stuck in a handler) while the io_contexts its
  // frames and objects use still exist: first the inbox (pending coroutine
  // continuations hold frames that may use the user's object), then the
  // user's object.
  for (;;) {
    pid p = any_in_table();
    if (!p) break;
    process_base* raw = p.get();
    raw->exited = true;
    raw->zombie = false;
    raw->alive.store(false);
    raw->close_inbox();
    raw->destroy_state();
    raw->finalize();
  }
  // Timers before their io_contexts; then the io_contexts, with whatever
  // handlers they still hold.
  for (auto& q : timeouts_) q->close();
  sched.destroy_workers();
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_IMPL_PROCESS_BASE_IPP
