// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
// Local HTTP endpoints for the self-contained demo (Boost.Beast, one thread).
#pragma once

#include <memory>
#include <string>

namespace service_monitor {

// HTTP servers on 127.0.0.1, on ports the system picks, with the behaviours a
// monitor must tell apart:
//   /health  200 at once            /slow   200 after 3 s (past any sane timeout)
//   /error   500 at once            and a second server, for /health, that can
//                                   stop listening (connections refused) and come back.
// They run on a thread of their own, outside otpp: they stand for the world.
class endpoints {
 public:
  endpoints();
  ~endpoints();
  endpoints(const endpoints&) = delete;
  endpoints& operator=(const endpoints&) = delete;

  // "http://127.0.0.1:<port><path>" on the steady server.
  std::string url(const std::string& path) const;
  // The URL of the flapping server's /health.
  std::string flapping_url() const;
  // Closes the flapping server's listening socket; new connections are refused.
  void take_flapping_down();
  // Listens again on the same port.
  void bring_flapping_back();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace service_monitor
