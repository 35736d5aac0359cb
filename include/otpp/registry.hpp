// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_REGISTRY_HPP
#define OTPP_REGISTRY_HPP

#include <otpp/config.hpp>
#include <otpp/pid.hpp>
#include <otpp/runtime.hpp>

#include <string>
#include <string_view>

OTPP_BEGIN_NAMESPACE

/// A unique local name for a process, as `{local, Name}` in OTP:
/// `otpp::start<cache>(rt, otpp::name{"cache"})`. A name is held by one live
/// process at a time (a second start fails with `errc::already_started`) and
/// is released automatically when that process exits.
struct name {
  std::string value;
};

/// The pid registered under `n` in `rt`, as erlang:whereis/1; an empty pid if
/// no live process has that name.
inline pid whereis(runtime& rt, std::string_view n) { return rt.core().whereis(n); }

OTPP_END_NAMESPACE

#endif  // OTPP_REGISTRY_HPP
