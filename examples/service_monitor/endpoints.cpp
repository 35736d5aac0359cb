// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#include "endpoints.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <thread>

namespace service_monitor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using tcp_acceptor = asio::ip::tcp::acceptor;

namespace {

// Answers one request on `socket`, by its path.
asio::awaitable<void> serve(tcp::socket socket) {
  using asio::as_tuple;
  using asio::use_awaitable;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  auto [read_ec, n] = co_await http::async_read(stream, buffer, request, as_tuple(use_awaitable));
  if (read_ec) co_return;

  http::response<http::string_body> response(http::status::ok, request.version());
  response.set(http::field::server, "otpp-demo-endpoint");
  response.keep_alive(false);
  if (request.target() == "/slow") {
    asio::steady_timer delay(stream.get_executor(), std::chrono::seconds(3));
    co_await delay.async_wait(as_tuple(use_awaitable));
    response.body() = "ok, eventually\n";
  } else if (request.target() == "/error") {
    response.result(http::status::internal_server_error);
    response.body() = "something broke\n";
  } else if (request.target() == "/health") {
    response.body() = "ok\n";
  } else {
    response.result(http::status::not_found);
    response.body() = "no such endpoint\n";
  }
  response.prepare_payload();
  co_await http::async_write(stream, response, as_tuple(use_awaitable));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// Accepts connections until the acceptor is closed.
asio::awaitable<void> listen(std::shared_ptr<tcp_acceptor> acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (!acceptor->is_open()) co_return;
    if (!ec) asio::co_spawn(acceptor->get_executor(), serve(std::move(socket)), asio::detached);
  }
}

// Listens on 127.0.0.1:`port` (0: any free port) and accepts on `ioc`.
std::shared_ptr<tcp_acceptor> start_listening(asio::io_context& ioc, unsigned short port) {
  auto acceptor = std::make_shared<tcp_acceptor>(ioc);
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
  acceptor->open(at.protocol());
  acceptor->set_option(tcp_acceptor::reuse_address(true));  // to listen again on the same port
  acceptor->bind(at);
  acceptor->listen();
  asio::co_spawn(ioc, listen(acceptor), asio::detached);
  return acceptor;
}

}  // namespace

struct endpoints::impl {
  asio::io_context ioc;
  std::shared_ptr<tcp_acceptor> steady = start_listening(ioc, 0);
  unsigned short steady_port = steady->local_endpoint().port();
  std::shared_ptr<tcp_acceptor> flapping = start_listening(ioc, 0);
  unsigned short flapping_port = flapping->local_endpoint().port();
  std::thread thread;

  // Runs `f` on the endpoints' thread and waits for it.
  template <class F>
  void on_thread(F f) {
    std::promise<void> done;
    asio::post(ioc, [&] {
      f();
      done.set_value();
    });
    done.get_future().get();
  }
};

endpoints::endpoints() : impl_(std::make_unique<impl>()) {
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

endpoints::~endpoints() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::string endpoints::url(const std::string& path) const {
  return fmt::format("http://127.0.0.1:{}{}", impl_->steady_port, path);
}

std::string endpoints::flapping_url() const {
  return fmt::format("http://127.0.0.1:{}/health", impl_->flapping_port);
}

void endpoints::take_flapping_down() {
  impl_->on_thread([this] { impl_->flapping->close(); });
}

void endpoints::bring_flapping_back() {
  impl_->on_thread([this] { impl_->flapping = start_listening(impl_->ioc, impl_->flapping_port); });
}

}  // namespace service_monitor
