// A connection pool in the style of Erlang's poolboy: a gen_server owns two
// real TCP connections (to an echo server this program starts on an
// ephemeral port) and lends them out.
//
//   checkout{borrower} -> conn   when none is free the caller waits in a FIFO
//                                queue: the pool keeps its `from` and answers
//                                later with otpp::reply(from, conn)
//   checkin{conn}                demonitors the borrower, hands the connection
//                                to the first waiter or back to the free list
//
// Every borrower is monitored while it holds a connection, so a borrower that
// crashes gives its connection back through handle_info(otpp::down), as
// poolboy does. (poolboy would also replace the crashed worker; these
// connections are idle between round trips, so the pool simply reuses them.)
// Borrowers are small gen_servers doing one echo round trip per checkout with
// async Asio I/O from a coroutine handler. Run it: ./connection_pool
#include <otpp/otpp.hpp>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// ---- the echo server: a coroutine per connection on its own io_context ----
asio::awaitable<void> echo_session(tcp::socket s) {
  char data[256];
  for (;;) {
    auto [ec, n] =
        co_await s.async_read_some(asio::buffer(data), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // the client closed
    co_await asio::async_write(s, asio::buffer(data, n), asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> echo_listener(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, s] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // the acceptor was closed
    asio::co_spawn(acceptor.get_executor(), echo_session(std::move(s)), asio::detached);
  }
}

// ---- the pool ----
struct pool : otpp::gen_server<pool> {
  struct conn {
    int id = -1;
    // Used only by the borrower that holds it, so by one process at a time.
    // It belongs to the pool's executor (whose io_context runs its I/O); a
    // borrower's co_await resumes on the borrower's own executor.
    tcp::socket* socket = nullptr;
  };
  struct checkout {
    using reply_type = conn;
    // otpp::from<> does not give the caller's pid, so the caller says who it is.
    otpp::pid borrower;
  };
  struct checkin {
    using reply_type = void;
    conn c;
  };
  struct stats {
    std::size_t free, busy, waiting;
  };
  struct status {
    using reply_type = stats;
  };

  struct waiter {
    otpp::pid borrower;
    otpp::from<conn> from;
  };

  pool(tcp::endpoint server, int size) : server(server), size(size) {}

  otpp::init_result init() {
    for (int id = 0; id < size; ++id) {
      // A deque, so that the pointers handed out stay valid.
      sockets.emplace_back(get_executor()).connect(server);
      free.push_back(id);
    }
    fmt::print("pool: {} connections open to port {}\n", size, server.port());
    return otpp::ok();
  }

  otpp::call_result<conn> handle_call(checkout c, otpp::from<conn> from) {
    if (free.empty()) {
      waiting.push_back({c.borrower, from});
      return otpp::noreply();  // answered by a later checkin or down
    }
    const int id = free.front();
    free.pop_front();
    lend(id, c.borrower);
    return otpp::reply(conn{id, &sockets[id]});
  }

  void handle_call(checkin c) {
    auto it = busy.find(c.c.id);
    if (it == busy.end()) return;
    otpp::demonitor(it->second);
    busy.erase(it);
    hand_over(c.c.id);
  }

  stats handle_call(status) { return {free.size(), busy.size(), waiting.size()}; }

  // A borrower died holding a connection: take it back.
  void handle_info(otpp::down d) {
    auto it =
        std::find_if(busy.begin(), busy.end(), [&](auto& lent) { return lent.second == d.ref; });
    if (it == busy.end()) return;
    const int id = it->first;
    fmt::print("pool: the holder of conn {} went down ({}); taking it back\n", id, d.reason);
    busy.erase(it);
    hand_over(id);
  }

  void lend(int id, const otpp::pid& borrower) { busy[id] = otpp::monitor(borrower); }

  // To the first waiter still waiting, else back to the free list.
  void hand_over(int id) {
    while (!waiting.empty()) {
      waiter w = std::move(waiting.front());
      waiting.pop_front();
      if (otpp::reply(w.from, conn{id, &sockets[id]})) return lend(id, w.borrower);
    }
    free.push_back(id);
  }

  tcp::endpoint server;
  int size;
  std::deque<tcp::socket> sockets;
  std::deque<int> free;
  std::map<int, otpp::monitor_ref> busy;  // conn id -> the monitor of its borrower
  std::deque<waiter> waiting;
};

// ---- a borrower: checks out, echoes one line, holds the connection until told ----
struct borrower : otpp::gen_server<borrower> {
  struct borrow {
    using reply_type = std::string;
  };
  struct give_back {
    using reply_type = void;
  };
  struct crash {};

  borrower(otpp::server_ref<pool> p, int n) : the_pool(std::move(p)), n(n) {}

  otpp::awaitable<std::string> handle_call(borrow) {
    // A named message, moved in: GCC 12 destroys a brace-initialised prvalue
    // argument twice inside co_await (here, the pid in `checkout`).
    pool::checkout request{self()};
    held = co_await otpp::async_call(the_pool, std::move(request), otpp::infinity,
                                     asio::use_awaitable);
    std::string line = fmt::format("hello from borrower {}\n", n), echo;
    co_await asio::async_write(*held->socket, asio::buffer(line), asio::use_awaitable);
    co_await asio::async_read_until(*held->socket, asio::dynamic_buffer(echo), '\n',
                                    asio::use_awaitable);
    echo.pop_back();
    co_return fmt::format("borrower {} got conn {}, echo: \"{}\"", n, held->id, echo);
  }

  otpp::awaitable<void> handle_call(give_back) {
    co_await otpp::async_call(the_pool, pool::checkin{*held}, asio::use_awaitable);
    fmt::print("borrower {} checked in conn {}\n", n, held->id);
    held.reset();
  }

  void handle_cast(crash) { throw std::runtime_error(fmt::format("borrower {} crashed", n)); }

  otpp::server_ref<pool> the_pool;
  int n;
  std::optional<pool::conn> held;
};

// Prints the pool's status once `pred` holds, asking again until it does: a
// bounded wait for the pool to have seen a checkout or a down.
template <class Pred>
void show_status(const otpp::server_ref<pool>& p, const char* step, Pred pred) {
  for (int i = 0; i < 5000; ++i) {
    auto s = otpp::call(p, pool::status{});
    if (pred(s))
      return fmt::print("  [{:<24}] free={} busy={} waiting={}\n", step, s.free, s.busy, s.waiting);
    std::this_thread::sleep_for(1ms);
  }
  throw std::runtime_error("the pool never reached the expected status");
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF,
               0);  // keep stdout in order with the crash reports on stderr

  asio::io_context echo_io;
  tcp::acceptor acceptor(echo_io, {asio::ip::make_address("127.0.0.1"), 0});
  fmt::print("echo server on 127.0.0.1:{}\n", acceptor.local_endpoint().port());
  asio::co_spawn(echo_io, echo_listener(acceptor), asio::detached);
  std::thread echo_thread([&] { echo_io.run(); });

  {
    otpp::runtime rt;
    auto p = otpp::start<pool>(rt, acceptor.local_endpoint(), 2);
    auto b = [&](int n) { return otpp::start<borrower>(rt, p, n); };
    auto b1 = b(1), b2 = b(2), b3 = b(3), b4 = b(4);
    auto now = [](const pool::stats&) { return true; };
    show_status(p, "started", now);

    fmt::print("(1) two borrowers take both connections; a third waits in the queue\n");
    fmt::print("{}\n", otpp::call(b1, borrower::borrow{}));
    fmt::print("{}\n", otpp::call(b2, borrower::borrow{}));
    show_status(p, "both lent", now);
    auto third = otpp::async_call(b3, borrower::borrow{}, asio::use_future);
    show_status(p, "borrower 3 queued", [](auto& s) { return s.waiting == 1; });
    otpp::call(b1, borrower::give_back{});
    fmt::print("{}\n", third.get());  // borrower 3 got borrower 1's connection
    show_status(p, "borrower 3 served", now);

    fmt::print("(2) a borrower crashes holding a connection\n");
    auto fourth = otpp::async_call(b4, borrower::borrow{}, asio::use_future);
    show_status(p, "borrower 4 queued", [](auto& s) { return s.waiting == 1; });
    otpp::cast(b2, borrower::crash{});
    fmt::print("{}\n", fourth.get());  // the down handed borrower 2's connection to borrower 4
    show_status(p, "borrower 4 served", now);
    otpp::cast(b3, borrower::crash{});  // nobody waits: back to the free list
    show_status(p, "conn 0 back in free list", [](auto& s) { return s.free == 1; });
    otpp::call(b4, borrower::give_back{});
    show_status(p, "all checked in", now);
  }  // the runtime stops every process first: the pool's sockets close, so the echo sessions end

  asio::post(echo_io, [&] { acceptor.close(); });  // ends the listener: echo_io runs out of work
  echo_thread.join();
  fmt::print("echo server stopped\n");
}
