// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
//
// Compile cost (WORKLOADS.md, C1): the baseline unit, with only Boost.Asio
// and fmt and one co_spawn'd coroutine, against which otpp_unit.cpp is
// measured.

#include <boost/asio.hpp>

#include <fmt/format.h>

#include <map>
#include <string>

namespace asio = boost::asio;

int main() {
  asio::io_context ioc;
  std::map<std::string, std::string> entries;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
        co_await timer.async_wait(asio::use_awaitable);
        entries["colour"] = "blue";
        fmt::print("{} ({} entries)\n", entries["colour"], entries.size());
      },
      asio::detached);
  ioc.run();
  return 0;
}
