// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_SRC_HPP
#define OTPP_SRC_HPP

/// Compiles otpp's runtime for a program built with OTPP_SEPARATE_COMPILATION
/// (see config.hpp): include this header in exactly one source file, as
/// <boost/asio/impl/src.hpp> for BOOST_ASIO_SEPARATE_COMPILATION.

#include <otpp/config.hpp>

#if !defined(OTPP_SEPARATE_COMPILATION)
#error "<otpp/src.hpp> is for programs built with OTPP_SEPARATE_COMPILATION defined in every unit"
#endif

#include <otpp/otpp.hpp>

#include <otpp/detail/impl/call_state.ipp>
#include <otpp/detail/impl/node_pool.ipp>
#include <otpp/detail/impl/process_base.ipp>
#include <otpp/detail/impl/scheduler.ipp>

#endif  // OTPP_SRC_HPP
