// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// One HTTP health check with Boost.Beast: GET the URL, within a time limit.
#pragma once

#include "url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace service_monitor {

struct check_result {
  bool ok = false;  // a 2xx response within the time limit
  std::chrono::milliseconds elapsed{0};
  std::string detail;  // "200 OK", "HTTP 500 Internal Server Error", "timed out ...", ...
};

// GETs `u` on the calling coroutine's executor (a checker's, so its socket and
// timer belong to that process). `timeout` bounds connect, request and
// response together; a failure of any kind is a failed check, not an error,
// except cancellation: when the checker is killed mid-check, its awaited
// operation ends with operation_aborted, and this throws so that nothing
// after the co_await runs for a process that is gone.
inline boost::asio::awaitable<check_result> http_check(const url& u,
                                                       std::chrono::milliseconds timeout) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  using asio::as_tuple;
  using asio::use_awaitable;
  using clock = std::chrono::steady_clock;

  const auto start = clock::now();
  auto result = [&](bool ok, std::string detail) {
    return check_result{ok,
                        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start),
                        std::move(detail)};
  };
  auto failure = [&](const beast::error_code& ec) {
    if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
    if (ec == beast::error::timeout)
      return result(false, fmt::format("timed out after {} ms", timeout.count()));
    return result(false, ec.message());
  };

  auto ex = co_await asio::this_coro::executor;
  // Name resolution has no timeout of its own (Asio runs getaddrinfo on a
  // background thread): a slow resolver delays this check past `timeout`.
  asio::ip::tcp::resolver resolver(ex);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(u.host, u.port, as_tuple(use_awaitable));
  if (resolve_ec == asio::error::operation_aborted) throw boost::system::system_error(resolve_ec);
  if (resolve_ec)
    co_return result(false, fmt::format("cannot resolve {}: {}", u.host, resolve_ec.message()));

  beast::tcp_stream stream(ex);
  stream.expires_after(timeout);  // one deadline for everything that follows
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, as_tuple(use_awaitable));
  if (connect_ec) co_return failure(connect_ec);

  http::request<http::empty_body> request(http::verb::get, u.target, 11);
  request.set(http::field::host, u.host_header());
  request.set(http::field::user_agent, "otpp-service-monitor");
  request.set(http::field::connection, "close");
  auto [write_ec, written] = co_await http::async_write(stream, request, as_tuple(use_awaitable));
  if (write_ec) co_return failure(write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);  // a health endpoint answers briefly
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
  if (read_ec) co_return failure(read_ec);

  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  const auto& response = parser.get();
  const unsigned status = response.result_int();
  const std::string detail = fmt::format("{} {}", status, std::string(response.reason()));
  co_return result(status >= 200 && status < 300,
                   status >= 200 && status < 300 ? detail : "HTTP " + detail);
}

}  // namespace service_monitor
