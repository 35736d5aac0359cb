// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_OTPP_HPP
#define OTPP_OTPP_HPP

/// All of otpp: Erlang/OTP's behaviours for C++20 on Boost.Asio.

#include <otpp/agent.hpp>
#include <otpp/child_spec.hpp>
#include <otpp/config.hpp>
#include <otpp/dynamic_supervisor.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/registry.hpp>
#include <otpp/runtime.hpp>
#include <otpp/supervisor.hpp>
#include <otpp/task.hpp>

#endif  // OTPP_OTPP_HPP
