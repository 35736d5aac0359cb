// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_NODE_POOL_HPP
#define OTPP_DETAIL_NODE_POOL_HPP

#include <otpp/config.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

OTPP_BEGIN_NAMESPACE
namespace detail {

// Recycles the small blocks of message passing and spawning: inbox nodes,
// call states and processes.
//
// A message is allocated by its sender and freed by its receiver, usually on
// another thread. With glibc's malloc that pair takes an arena lock on both
// sides and was half the cost of a cast. Here each thread keeps free lists of
// a few block sizes; a block freed on another thread goes back to the thread
// that allocated it through a lock-free stack, which that thread takes whole
// when its own list runs dry. The freeing thread gathers such blocks for one
// owner and pushes them a batch at a time, so that a stream of messages from
// one sender costs the receiver one atomic operation per batch, not per
// message. A thread that exits frees its lists; blocks it handed out are then
// freed where they die, and the last one frees the cache.
class node_pool {
 public:
  static void* allocate(std::size_t size);
  static void deallocate(void* p) noexcept;
  // Hands back the blocks of other threads this thread has gathered.
  static void flush() noexcept {
    if (current && current != closed_mark()) current->flush_batch();
  }

 private:
  struct block {
    block* next;
  };
  struct cache;
  // Precedes every block handed out; 16 bytes keep the payload aligned as
  // operator new's own.
  struct alignas(16) header {
    cache* owner;  // null: not pooled (too large, or allocated while the thread exits)
    std::uint32_t size_class;
  };
  static constexpr std::size_t classes = 10;
  static constexpr std::size_t block_sizes[classes] = {64, 96, 128, 160, 192, 224, 256, 320, 384, 512};
  // At most this many bytes per size class stay cached on a thread (so at
  // most 10 MiB per thread, kept until it exits). A sender that runs ahead
  // of its receiver gets its blocks back thousands at a time; with 128 KiB
  // it gave most of them to malloc and took new ones from it (W2: 19 ->
  // 25-31 M casts/s at 1 MiB).
  static constexpr std::size_t cached_bytes = 1024 * 1024;
  // Blocks of another thread gathered before they are handed back at once.
  static constexpr std::size_t batch_size = 64;

  struct alignas(64) cache {
    // The owning thread's side.
    block* free[classes] = {};
    std::size_t free_count[classes] = {};
    std::size_t live = 0;  // handed out and not yet seen back

    // Blocks of another thread (`batch_owner`) freed here, not yet handed back.
    cache* batch_owner = nullptr;
    block* batch_head = nullptr;
    block* batch_tail = nullptr;
    std::size_t batch_count = 0;

    // Other threads' side: blocks they freed, and after the owner exits, the
    // count that decides who frees the cache.
    alignas(64) std::atomic<block*> returned{nullptr};
    std::atomic<std::int64_t> orphans{0};

    // Keeps the block for reuse, or frees it when the list is full.
    void keep(header* h) noexcept {
      const std::uint32_t c = h->size_class;
      if (free_count[c] * block_sizes[c] >= cached_bytes) {
        ::operator delete(h);
        return;
      }
      auto* b = reinterpret_cast<block*>(h + 1);
      b->next = free[c];
      free[c] = b;
      ++free_count[c];
    }
    // Takes back what other threads freed.
    void collect() noexcept {
      block* b = returned.exchange(nullptr, std::memory_order_acquire);
      while (b) {
        block* next = b->next;
        --live;
        keep(reinterpret_cast<header*>(b) - 1);
        b = next;
      }
    }
    // Hands the gathered blocks back to their owner.
    void flush_batch() noexcept;
    // The owning thread exits.
    void close() noexcept;
  };

  // Hands the blocks `head`..`tail` (`count` of them) back to `owner`.
  static void give_back(cache* owner, block* head, block* tail, std::size_t count) noexcept;

  static cache* closed_mark() noexcept { return reinterpret_cast<cache*>(std::uintptr_t{1}); }
  static block* closed_list() noexcept { return reinterpret_cast<block*>(std::uintptr_t{1}); }

  // The calling thread's cache; null while the thread exits.
  static cache* this_thread_cache() noexcept;

  static void* unpooled(std::size_t total, std::uint32_t size_class) {
    auto* h = static_cast<header*>(::operator new(total));
    h->owner = nullptr;
    h->size_class = size_class;
    return h + 1;
  }

  struct thread_exit {
    ~thread_exit() {
      if (current && current != closed_mark()) current->close();
      current = closed_mark();
    }
  };
  static inline thread_local cache* current = nullptr;  // trivially destructible: readable while exiting
};

// A base that makes `new` of the derived class allocate from the node pool.
// Operators new and delete are static members, so a class that inherits
// this through several bases still finds one of each.
struct pooled {
  static void* operator new(std::size_t size) { return node_pool::allocate(size); }
  static void operator delete(void* p) noexcept { node_pool::deallocate(p); }
  // Over-aligned types (rare) bypass the pool.
  static void* operator new(std::size_t size, std::align_val_t a) { return ::operator new(size, a); }
  static void operator delete(void* p, std::align_val_t a) noexcept { ::operator delete(p, a); }
};

}  // namespace detail
OTPP_END_NAMESPACE

#if !defined(OTPP_SEPARATE_COMPILATION)
#include <otpp/detail/impl/node_pool.ipp>
#endif

#endif  // OTPP_DETAIL_NODE_POOL_HPP
