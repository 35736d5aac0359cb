// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// The node pool's allocation and per-thread caches: included by
// otpp/detail/node_pool.hpp unless OTPP_SEPARATE_COMPILATION is defined, and
// then compiled once, by <otpp/src.hpp>.
#ifndef OTPP_DETAIL_IMPL_NODE_POOL_IPP
#define OTPP_DETAIL_IMPL_NODE_POOL_IPP

#include <otpp/detail/node_pool.hpp>

OTPP_BEGIN_NAMESPACE
namespace detail {

OTPP_DECL void node_pool::give_back(cache* owner, block* head, block* tail, std::size_t count) noexcept {
  block* top = owner->returned.load(std::memory_order_relaxed);
  for (;;) {
    if (top == closed_list()) {
      // The owner has exited: free them here, the last one out frees its
      // cache. Exactly `count`: a CAS that failed as the owner closed left
      // `tail` linked to the stack the owner has since taken and freed.
      for (std::size_t i = 0; i < count; ++i) {
        block* next = head->next;
        ::operator delete(reinterpret_cast<header*>(head) - 1);
        head = next;
      }
      const auto n = static_cast<std::int64_t>(count);
      if (owner->orphans.fetch_sub(n, std::memory_order_acq_rel) == n) delete owner;
      return;
    }
    tail->next = top;
    if (owner->returned.compare_exchange_weak(top, head, std::memory_order_release, std::memory_order_relaxed))
      return;
  }
}

OTPP_DECL void node_pool::cache::flush_batch() noexcept {
  if (!batch_count) return;
  give_back(batch_owner, batch_head, batch_tail, batch_count);
  batch_owner = nullptr;
  batch_head = batch_tail = nullptr;
  batch_count = 0;
}

OTPP_DECL void node_pool::cache::close() noexcept {
  flush_batch();
  for (std::size_t c = 0; c < classes; ++c) {
    while (block* b = free[c]) {
      free[c] = b->next;
      ::operator delete(reinterpret_cast<header*>(b) - 1);
    }
  }
  // From here on, other threads free our blocks themselves.
  block* b = returned.exchange(closed_list(), std::memory_order_acquire);
  while (b) {
    block* next = b->next;
    --live;
    ::operator delete(reinterpret_cast<header*>(b) - 1);
    b = next;
  }
  // Each block still out is freed later, counting `orphans` down by one; the
  // sum reaches zero exactly once, after the last of them.
  const auto remaining = static_cast<std::int64_t>(live);
  if (orphans.fetch_add(remaining, std::memory_order_acq_rel) + remaining == 0) delete this;
}

OTPP_DECL node_pool::cache* node_pool::this_thread_cache() noexcept {
  if (current) return current == closed_mark() ? nullptr : current;
  thread_local thread_exit on_exit;  // constructed once per thread, before the cache
  (void)on_exit;
  current = new (std::nothrow) cache();
  return current;
}

OTPP_DECL void* node_pool::allocate(std::size_t size) {
  const std::size_t total = size + sizeof(header);
  std::uint32_t c = 0;
  while (c < classes && block_sizes[c] < total) ++c;
  if (c == classes) return unpooled(total, 0);
  cache* mine = this_thread_cache();
  if (!mine) return unpooled(block_sizes[c], c);
  if (!mine->free[c]) mine->collect();
  header* h;
  if (block* b = mine->free[c]) {
    mine->free[c] = b->next;
    --mine->free_count[c];
    h = reinterpret_cast<header*>(b) - 1;
  } else {
    h = static_cast<header*>(::operator new(block_sizes[c]));
  }
  h->owner = mine;
  h->size_class = c;
  ++mine->live;
  return h + 1;
}

OTPP_DECL void node_pool::deallocate(void* p) noexcept {
  if (!p) return;
  header* h = static_cast<header*>(p) - 1;
  cache* owner = h->owner;
  if (!owner) {
    ::operator delete(h);
    return;
  }
  if (owner == current) {
    --owner->live;
    owner->keep(h);
    return;
  }
  auto* b = reinterpret_cast<block*>(p);
  cache* mine = this_thread_cache();
  if (!mine) {  // this thread is exiting: hand it back alone
    b->next = nullptr;
    give_back(owner, b, b, 1);
    return;
  }
  if (mine->batch_owner != owner) {
    mine->flush_batch();
    mine->batch_owner = owner;
    mine->batch_tail = b;
  }
  b->next = mine->batch_head;
  mine->batch_head = b;
  if (++mine->batch_count == batch_size) mine->flush_batch();
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_IMPL_NODE_POOL_IPP
