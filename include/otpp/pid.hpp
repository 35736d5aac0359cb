// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_PID_HPP
#define OTPP_PID_HPP

#include <otpp/config.hpp>

#include <fmt/format.h>

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

OTPP_BEGIN_NAMESPACE

namespace detail {
class process_base;
void retain(process_base* p) noexcept;
void release(process_base* p) noexcept;
std::uint64_t process_id(const process_base* p) noexcept;
}  // namespace detail

/// Identifies a process, as an Erlang pid.
///
/// A pid stays valid after its process exits: sending to it is then a no-op,
/// calling it fails with `errc::noproc`, and `is_alive` is false. Comparable,
/// hashable, and formatted with fmt as Erlang prints pids (`<0.42.0>`).
/// A default-constructed pid names no process.
class pid {
 public:
  /// A pid that names no process.
  pid() noexcept = default;
  /// Internal: adopts or shares a reference to `p`.
  explicit pid(detail::process_base* p, bool add_ref = true) noexcept : p_(p) {
    if (p_ && add_ref) detail::retain(p_);
  }
  pid(const pid& o) noexcept : p_(o.p_) {
    if (p_) detail::retain(p_);
  }
  pid(pid&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  pid& operator=(pid o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~pid() {
    if (p_) detail::release(p_);
  }

  /// The process's serial number, unique within the program; 0 for an empty pid.
  std::uint64_t id() const noexcept { return p_ ? detail::process_id(p_) : 0; }
  /// True unless default-constructed.
  explicit operator bool() const noexcept { return p_ != nullptr; }

  friend bool operator==(const pid& a, const pid& b) noexcept { return a.p_ == b.p_; }
  friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
    return a.id() <=> b.id();
  }

  /// Internal: the process control block.
  detail::process_base* get() const noexcept { return p_; }

 private:
  detail::process_base* p_ = nullptr;
};

namespace detail {
// The text the formatter below prints, built without fmt's formatting engine
// (see reason_text in exit_reason.hpp).
inline std::string pid_text(const pid& p) {
  return p ? "<0." + std::to_string(p.id()) + ".0>" : "<undefined>";
}
}  // namespace detail

OTPP_END_NAMESPACE

template <>
struct std::hash<otpp::pid> {
  std::size_t operator()(const otpp::pid& p) const noexcept {
    return std::hash<std::uint64_t>()(p.id());
  }
};

/// Formats as `<0.ID.0>`, the way Erlang prints a local pid; `<undefined>` if empty.
template <>
struct fmt::formatter<otpp::pid> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otpp::pid& p, FormatContext& ctx) const -> decltype(ctx.out()) {
    // Width, fill and alignment apply to the whole text.
    return fmt::formatter<std::string_view>::format(otpp::detail::pid_text(p), ctx);
  }
};

// The control block behind pid's reference counting.
#include <otpp/detail/process_base.hpp>

#endif  // OTPP_PID_HPP
