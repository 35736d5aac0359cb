// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_EXIT_REASON_HPP
#define OTPP_EXIT_REASON_HPP

#include <otpp/config.hpp>

#include <fmt/format.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>

OTPP_BEGIN_NAMESPACE

/// Why a process exited, as the `Reason` of an Erlang exit signal.
///
/// The well-known reasons are values: `otpp::normal`, `otpp::shutdown`,
/// `otpp::kill` (sent to kill a process unconditionally), `otpp::killed`
/// (what a killed process exits with), `otpp::noproc`. Others are built with
/// `exit_reason::shutdown_with(detail)` (`{shutdown, Detail}`),
/// `exit_reason::error(text)` (any abnormal reason) or
/// `exit_reason::from_exception(eptr)` (an exception that escaped a handler).
/// Copying is cheap: the text is shared. Formattable with fmt.
class exit_reason {
 public:
  /// The shape of a reason.
  enum class kind : unsigned char {
    normal,         ///< `normal`: a clean exit; links are not affected.
    shutdown,       ///< `shutdown` or `{shutdown, Detail}`: an ordered stop.
    kill,           ///< `kill`: an untrappable exit signal (as erlang:exit(Pid, kill)).
    killed,         ///< `killed`: the reason of a process that received `kill`.
    noproc,         ///< `noproc`: the process did not exist.
    error,          ///< any other, abnormal reason, with a text.
    exception       ///< an exception escaped a callback; holds its type and what().
  };

  /// `normal`.
  exit_reason() noexcept = default;
  /// A reason of the given kind with no detail.
  exit_reason(kind k) noexcept : kind_(k) {}

  /// `{shutdown, detail}`: an ordered stop that supervisors do not restart
  /// `transient` children for.
  static exit_reason shutdown_with(std::string detail) {
    return exit_reason(kind::shutdown, std::move(detail));
  }
  /// An abnormal reason described by `text` (as exiting with any term in Erlang).
  static exit_reason error(std::string text) { return exit_reason(kind::error, std::move(text)); }
  /// The reason of an exception that escaped a callback: its dynamic type and `what()`.
  static exit_reason from_exception(const std::exception_ptr& e);

  /// The shape of this reason.
  constexpr kind what() const noexcept { return kind_; }
  /// The detail of `{shutdown, Detail}`, the text of an error, or
  /// "type: what()" of an exception; empty otherwise.
  std::string_view detail() const noexcept {
    return text_ ? std::string_view(*text_) : std::string_view();
  }
  /// True for `normal`.
  constexpr bool is_normal() const noexcept { return kind_ == kind::normal; }
  /// True for `shutdown` and `{shutdown, Detail}`.
  constexpr bool is_shutdown() const noexcept { return kind_ == kind::shutdown; }
  /// True unless `normal`, `shutdown` or `{shutdown, Detail}`: the reasons a
  /// `transient` child is restarted for. (Any reason but `normal` kills a
  /// linked process that does not trap exits.)
  constexpr bool is_abnormal() const noexcept { return !is_normal() && !is_shutdown(); }

  friend bool operator==(const exit_reason& a, const exit_reason& b) noexcept {
    return a.kind_ == b.kind_ && a.detail() == b.detail();
  }

 private:
  exit_reason(kind k, std::string text)
      : kind_(k), text_(std::make_shared<const std::string>(std::move(text))) {}

  kind kind_ = kind::normal;
  std::shared_ptr<const std::string> text_;
};

/// `normal`: the process finished its work.
inline const exit_reason normal{exit_reason::kind::normal};
/// `shutdown`: the process was asked to stop, by its supervisor or the runtime.
inline const exit_reason shutdown{exit_reason::kind::shutdown};
/// `kill`: sent with `otpp::exit(pid, kill)`; cannot be trapped.
inline const exit_reason kill{exit_reason::kind::kill};
/// `killed`: the exit reason of a process that received `kill`.
inline const exit_reason killed{exit_reason::kind::killed};
/// `noproc`: the process did not exist (a monitor of a dead pid reports it).
inline const exit_reason noproc{exit_reason::kind::noproc};

OTPP_END_NAMESPACE

#include <otpp/detail/demangle.hpp>

OTPP_BEGIN_NAMESPACE
namespace detail {
// The text the formatter below prints. The library's own messages use it
// rather than formatting the reason, so a unit compiles fmt's width-aware
// string formatter only when its own code formats a reason.
inline std::string reason_text(const exit_reason& r) {
  using k = exit_reason::kind;
  switch (r.what()) {
    case k::normal: return "normal";
    case k::shutdown: return r.detail().empty() ? "shutdown" : "{shutdown," + std::string(r.detail()) + "}";
    case k::kill: return "kill";
    case k::killed: return "killed";
    case k::noproc: return "noproc";
    case k::error: return std::string(r.detail());
    case k::exception: return "{exception," + std::string(r.detail()) + "}";
  }
  return {};
}
}  // namespace detail

inline exit_reason exit_reason::from_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return exit_reason(kind::exception,
                       fmt::format("{}: {}", detail::demangle(typeid(ex).name()), ex.what()));
  } catch (...) {
    return exit_reason(kind::exception, "unknown exception");
  }
}
OTPP_END_NAMESPACE

/// Formats as Erlang prints reasons: `normal`, `shutdown`, `{shutdown,Detail}`,
/// `kill`, `killed`, `noproc`, the text of an error, `{exception,Type: what}`.
template <>
struct fmt::formatter<otpp::exit_reason> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otpp::exit_reason& r, FormatContext& ctx) const -> decltype(ctx.out()) {
    // Width, fill and alignment apply to the whole text.
    return fmt::formatter<std::string_view>::format(otpp::detail::reason_text(r), ctx);
  }
};

#endif  // OTPP_EXIT_REASON_HPP
