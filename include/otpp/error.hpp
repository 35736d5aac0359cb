// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_ERROR_HPP
#define OTPP_ERROR_HPP

#include <otpp/config.hpp>
#include <otpp/exit_reason.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <type_traits>

OTPP_BEGIN_NAMESPACE

/// The error code type otpp reports with, as Asio does.
using error_code = boost::system::error_code;

/// Errors of otpp operations, in the `otpp` error category.
enum class errc {
  /// A call got no reply within its timeout (gen_server:call/3 exits with `timeout`).
  timeout = 1,
  /// The process is dead, or no process has that name.
  noproc,
  /// A process called itself; the call would deadlock (gen_server's `calling_self`).
  calling_self,
  /// The server exited before it replied; the exit reason is in `call_error::reason()`.
  exited,
  /// `start` with a name that another live process holds; see `start_error::holder()`.
  already_started,
  /// `init` returned stop or threw; the reason is in `start_error::reason()`.
  init_failed,
  /// A name resolved to a process of another gen_server type than the reference names.
  wrong_type,
  /// The operation needs to run inside a process (e.g. `link`, `monitor`, `self`).
  not_in_process,
  /// `start_child` with the id of a child spec the supervisor holds, not running
  /// (supervisor's `already_present`); a running one gives `already_started`.
  already_present,
  /// `restart_child` or `delete_child` of a child that is running.
  running,
  /// `restart_child` or `delete_child` of a child whose restart failed and is being retried.
  restarting,
  /// No child with that id (or, under a dynamic_supervisor, that pid).
  not_found,
  /// A dynamic_supervisor already has its `max_children`.
  max_children,
  /// A child spec without an id or a start function, a duplicate id, or
  /// supervisor flags out of range.
  invalid_child_spec,
};

/// The `otpp` error category.
const boost::system::error_category& error_category() noexcept;

/// Makes an `error_code` in the `otpp` category; lets `errc` values compare with codes.
inline error_code make_error_code(errc e) noexcept {
  return error_code(static_cast<int>(e), error_category());
}

namespace detail {
class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "otpp"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::timeout: return "call timed out";
      case errc::noproc: return "no such process";
      case errc::calling_self: return "process called itself";
      case errc::exited: return "server exited before replying";
      case errc::already_started: return "name already registered";
      case errc::init_failed: return "init failed";
      case errc::wrong_type: return "process is not of the expected gen_server type";
      case errc::not_in_process: return "not called from inside a process";
      case errc::already_present: return "child spec already present";
      case errc::running: return "child is running";
      case errc::restarting: return "child is restarting";
      case errc::not_found: return "no such child";
      case errc::max_children: return "supervisor has its maximum number of children";
      case errc::invalid_child_spec: return "invalid child spec";
    }
    return "unknown otpp error";
  }
};
}  // namespace detail

inline const boost::system::error_category& error_category() noexcept {
  static const detail::category cat;
  return cat;
}

/// The exception a failed call throws (and that `async_call` completes with):
/// `code()` is an `otpp::errc`, and for `errc::exited` `reason()` is the
/// server's exit reason, as gen_server:call/3 exits with `{Reason, Location}`.
class call_error : public boost::system::system_error {
 public:
  /// A call error with `code` and, for `errc::exited`, the server's exit reason.
  explicit call_error(error_code code, exit_reason reason = {})
      : boost::system::system_error(code), reason_(std::move(reason)) {
    if (code == make_error_code(errc::exited))
      what_ = "server exited before replying: " + detail::reason_text(reason_);
  }

  /// The error's description; for `errc::exited` it includes the exit reason.
  const char* what() const noexcept override {
    return what_.empty() ? boost::system::system_error::what() : what_.c_str();
  }

  /// The server's exit reason when `code() == errc::exited`; `normal` otherwise.
  const exit_reason& reason() const noexcept { return reason_; }

 private:
  exit_reason reason_;
  std::string what_;
};

OTPP_END_NAMESPACE

template <>
struct boost::system::is_error_code_enum<otpp::errc> : std::true_type {};

#endif  // OTPP_ERROR_HPP
