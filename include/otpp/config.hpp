// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_CONFIG_HPP
#define OTPP_CONFIG_HPP

// The one place otpp's version is written. CMake reads it from here (as
// {fmt}'s build does), so the CMake package, otpp.pc and the vcpkg and Conan
// packages carry the same version as a copy of these headers.

/// otpp's major version: incompatible changes of the API.
#define OTPP_VERSION_MAJOR 0
/// otpp's minor version: additions that keep the API.
#define OTPP_VERSION_MINOR 1
/// otpp's patch version: fixes.
#define OTPP_VERSION_PATCH 0

/// otpp's version as one number, MAJOR * 10000 + MINOR * 100 + PATCH
/// (0.1.0 is 100), for `#if OTPP_VERSION >= 200`.
#define OTPP_VERSION (OTPP_VERSION_MAJOR * 10000 + OTPP_VERSION_MINOR * 100 + OTPP_VERSION_PATCH)

// A versioned inline namespace, as {fmt} does, so that two versions of otpp
// never link silently into one program.
#define OTPP_BEGIN_NAMESPACE \
  namespace otpp {           \
  inline namespace v0 {
#define OTPP_END_NAMESPACE \
  }                        \
  }

/// Define OTPP_SEPARATE_COMPILATION in every unit of a program, and include
/// <otpp/src.hpp> in exactly one, to compile otpp's runtime (scheduler,
/// process table, node pool) once instead of in every unit that uses it, as
/// BOOST_ASIO_SEPARATE_COMPILATION does for Asio. Without it otpp is
/// header-only. Mixing units built with and without it is an ODR violation.
#if defined(OTPP_SEPARATE_COMPILATION)
#define OTPP_DECL
#else
#define OTPP_DECL inline
#endif

namespace boost::asio {}

OTPP_BEGIN_NAMESPACE
/// otpp is hosted on Boost.Asio; `otpp::asio` names it.
namespace asio = ::boost::asio;
OTPP_END_NAMESPACE

#endif  // OTPP_CONFIG_HPP
