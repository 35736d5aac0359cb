// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#include "endpoints.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <chrono>
#include <exception>
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

// An acceptor bound to 127.0.0.1:`port` (0: any free port), not listening
// yet: connections to it are refused, and the port stays this program's.
std::shared_ptr<tcp_acceptor> bind_to(asio::io_context& ioc, unsigned short port) {
  auto acceptor = std::make_shared<tcp_acceptor>(ioc);
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
  acceptor->open(at.protocol());
  acceptor->set_option(tcp_acceptor::reuse_address(true));  // to bind again after a close
  acceptor->bind(at);
  return acceptor;
}

// Listens on `acceptor` and serves what it accepts.
std::shared_ptr<tcp_acceptor> start_listening(std::shared_ptr<tcp_acceptor> acceptor) {
  acceptor->listen();
  asio::co_spawn(acceptor->get_executor(), listen(acceptor), asio::detached);
  return acceptor;
}

}  // namespace

struct endpoints::impl {
  asio::io_context ioc;
  std::shared_ptr<tcp_acceptor> steady = start_listening(bind_to(ioc, 0));
  unsigned short steady_port = steady->local_endpoint().port();
  std::shared_ptr<tcp_acceptor> flapping = start_listening(bind_to(ioc, 0));
  unsigned short flapping_port = flapping->local_endpoint().port();
  std::thread thread;

  // Runs `f` on the endpoints' thread and waits for it.
  template <class F>
  void on_thread(F f) {
    std::promise<void> done;
    asio::post(ioc, [&] {
      try {
        f();
        done.set_value();
      } catch (...) {
        done.set_exception(std::current_exception());
      }
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
  // Close the listening socket (which drops what waits in its backlog), and
  // keep the port bound, so that no one else takes it before it comes back.
  impl_->on_thread([this] {
    impl_->flapping->close();
    impl_->flapping = bind_to(impl_->ioc, impl_->flapping_port);
  });
}

void endpoints::bring_flapping_back() {
  impl_->on_thread([this] { start_listening(impl_->flapping); });
}

}  // namespace service_monitor
