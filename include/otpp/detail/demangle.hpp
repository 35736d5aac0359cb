// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_DEMANGLE_HPP
#define OTPP_DETAIL_DEMANGLE_HPP

#include <otpp/config.hpp>

#include <boost/core/demangle.hpp>

#include <string>

OTPP_BEGIN_NAMESPACE
namespace detail {
// A readable type name for exit reasons and log lines.
inline std::string demangle(const char* name) { return boost::core::demangle(name); }
}  // namespace detail
OTPP_END_NAMESPACE

#endif
